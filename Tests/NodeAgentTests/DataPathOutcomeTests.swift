import Foundation
import KubeSandboxTesting
import Kubernetes
import Synchronization
import Testing

@testable import NodeAgent

/// What the controller writes from a data path: its progress (`status.progress`), Velero's failure message,
/// and Canceled when the data path itself ended canceled.
struct DataPathOutcomeTests {
    typealias Cluster = NodeAgentControllerTests

    /// A data path that reports 25 of 100 bytes, waits until the test releases its load, then ends as the
    /// load's name says: `…-fail` fails, `…-cancel` ends canceled, any other completes.
    final class ScriptedDataPath: DataPath {
        let released = Mutex<Set<String>>([])

        func release(_ name: String) { _ = released.withLock { $0.insert(name) } }

        func run(
            _ load: LoadObject,
            node: String,
            resumed: Bool,
            progress: @escaping @Sendable (Int64, Int64) -> Void
        ) async throws -> DataPathResult {
            progress(100, 25)
            while !released.withLock({ $0.contains(load.name) }) { try await Task.sleep(for: .milliseconds(10)) }
            if load.name.hasSuffix("-fail") { throw NodeAgentError(code: .dataPathFailed, message: "disk full") }
            if load.name.hasSuffix("-cancel") {
                throw NodeAgentError(code: .dataPathCanceled, message: "data path is canceled")
            }
            return DataPathResult(totalBytes: 100, snapshotID: "snap")
        }
    }

    @Test func progressIsWrittenAndTheOutcomeRecordedWithVelerosMessages() async throws {
        try await Cluster.withCluster { _, admin in
            let dataPath = ScriptedDataPath()
            for name in ["du-progress", "du-fail", "du-cancel"] {
                try await Cluster.createUpload(admin, name, seconds: 1)
            }
            let agent = try Cluster.controller(
                admin,
                node: "sandbox-node-1",
                json: #"{"loadConcurrency":{"globalConfig":3}}"#,
                dataPath: dataPath
            )
            try await Cluster.running(agent) {
                try await waitUntil("the progress of du-progress is written") {
                    let load = try await Cluster.upload(admin, "du-progress")
                    return load?.object["status"]?["progress"] == ["totalBytes": 100, "bytesDone": 25]
                }
                for name in ["du-progress", "du-fail", "du-cancel"] { dataPath.release(name) }
                try await waitUntil("every load ended") {
                    var final = 0
                    for name in ["du-progress", "du-fail", "du-cancel"] {
                        if try await Cluster.upload(admin, name)?.phase.isFinal == true { final += 1 }
                    }
                    return final == 3
                }
            }
            let completed = try #require(try await Cluster.upload(admin, "du-progress"))
            #expect(completed.phase == .completed)
            #expect(completed.object["status"]?["progress"] == ["totalBytes": 100, "bytesDone": 100])
            let failed = try #require(try await Cluster.upload(admin, "du-fail"))
            #expect(failed.phase == .failed)
            #expect(failed.message == "data path backup failed: disk full")
            let canceled = try #require(try await Cluster.upload(admin, "du-cancel"))
            #expect(canceled.phase == .canceled)
        }
    }

    /// A data path that stops by itself once it reads the load's `spec.cancel` (as the micro-service does),
    /// recording whether it got there or was cancelled first.
    final class SelfStoppingDataPath: DataPath {
        let client: KubeClient
        let ending = Mutex<String?>(nil)
        var cancelGrace: Duration? { .seconds(120) }

        init(client: KubeClient) { self.client = client }

        func run(
            _ load: LoadObject,
            node: String,
            resumed: Bool,
            progress: @escaping @Sendable (Int64, Int64) -> Void
        ) async throws -> DataPathResult {
            do {
                while true {
                    let current = try await client.get(load.kind.gvr, namespace: load.namespace, name: load.name)
                    if current["spec"]?["cancel"]?.boolValue == true {
                        ending.withLock { $0 = "by itself" }
                        throw NodeAgentError(code: .dataPathCanceled, message: "data path is canceled")
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
            } catch is CancellationError {
                ending.withLock { $0 = "cancelled" }
                throw CancellationError()
            }
        }
    }

    @Test func aDataPathThatWatchesItsCancelIsLeftToStopByItself() async throws {
        try await Cluster.withCluster { _, admin in
            let dataPath = SelfStoppingDataPath(client: admin)
            try await Cluster.createUpload(admin, "du-stop", seconds: 1)
            let agent = try Cluster.controller(admin, node: "sandbox-node-1", dataPath: dataPath)
            try await Cluster.running(agent) {
                try await waitUntil("du-stop InProgress") {
                    try await Cluster.upload(admin, "du-stop")?.phase == .inProgress
                }
                var load = try await admin.get(LoadKind.dataUpload.gvr, namespace: Cluster.namespace, name: "du-stop")
                load["spec"]?["cancel"] = true
                _ = try await admin.update(LoadKind.dataUpload.gvr, load)
                try await waitUntil("du-stop Canceled") {
                    try await Cluster.upload(admin, "du-stop")?.phase == .canceled
                }
            }
            #expect(dataPath.ending.withLock { $0 } == "by itself")
        }
    }
}
