import Foundation
import KubeSandboxTesting
import Kubernetes
import Synchronization
import Testing
import VeleroAPI

@testable import KubeSandbox
@testable import NodeAgent

/// Whether this machine can run the sandbox's containers (bubblewrap with mount namespaces).
let containersRun: Bool = {
    if case .available = Kubelet.checkIsolation() { return true }
    return false
}()

/// ``MicroServiceDataPath`` against a sandbox whose hosting pods run: the pod's image is a small script that
/// waits for the test's go-ahead (a file in a shared host folder), writes the outcome the test chose to its
/// termination log and exits with the test's code; the test records the `Data-Path-*` Events itself.
@Suite(.enabled(if: containersRun, "needs bubblewrap and mount namespaces"))
struct MicroServiceDataPathTests {
    static let namespace = NodeAgentControllerTests.namespace
    static let image = "lifeboat-test/micro-service"
    static let script = """
        #!/bin/sh
        while [ ! -e "/shared/$GO" ]; do sleep 0.05; done
        printf '%s' "$RESULT" > /dev/termination-log
        exit "$CODE"

        """

    /// The sandbox (one node, the install namespace, the script mapped to ``image``), a client, and the shared
    /// folder where go-ahead files go.
    func withMicroService(_ body: (KubeClient, URL) async throws -> Void) async throws {
        try await withTemporaryDirectory(prefix: "micro-service") { directory in
            let shared = directory.resolvingSymlinksInPath().appendingPathComponent("shared")
            try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
            let program = directory.appendingPathComponent("micro-service.sh")
            try Self.script.write(to: program, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
            var configuration = SandboxConfiguration(
                port: 0,
                nodes: 1,
                customResources: .velero,
                imageCommands: SandboxConfiguration.testImageCommands
            )
            configuration.imageCommands[Self.image] = program.resolvingSymlinksInPath().path
            configuration.sharedHostPaths = [shared.path]
            try await withSandbox(configuration: configuration) { _, client in
                _ = try await client.create(
                    .namespaces,
                    KubeObject(apiVersion: "v1", kind: "Namespace", name: Self.namespace)
                )
                try await body(client, shared)
            }
        }
    }

    /// An InProgress load of `kind` named `name`.
    func load(_ client: KubeClient, _ kind: LoadKind, _ name: String) async throws -> LoadObject {
        var object = KubeObject(apiVersion: kind.apiVersion, kind: kind.rawValue, namespace: Self.namespace, name: name)
        object["spec"] = ["node": "sandbox-node-1", "backupStorageLocation": "default"]
        object["status"] = ["phase": "InProgress"]
        return LoadObject(kind: kind, object: try await client.create(kind.gvr, object).value)
    }

    /// The load's hosting pod: the script with the outcome `result` and exit code `code`, started by the file
    /// `<shared>/<load name>`.
    func hostingPod(_ client: KubeClient, _ load: LoadObject, shared: URL, result: String, code: Int) async throws {
        var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: Self.namespace, name: load.name)
        let env: [JSONValue] = [
            ["name": "GO", "value": .string(load.name)], ["name": "RESULT", "value": .string(result)],
            ["name": "CODE", "value": .string(String(code))],
        ]
        pod["spec"] = [
            "nodeName": "sandbox-node-1", "restartPolicy": "Never",
            "containers": [
                [
                    "name": .string(load.uid), "image": .string(Self.image), "env": .array(env),
                    "volumeMounts": [["name": "shared", "mountPath": "/shared"]],
                ]
            ],
            "volumes": [["name": "shared", "hostPath": ["path": .string(shared.path)]]],
        ]
        _ = try await client.create(.pods, pod)
    }

    /// Records an Event about `load` as the micro-service does.
    func post(_ client: KubeClient, _ load: LoadObject, _ reason: String, _ message: String = "") async throws {
        var event = KubeObject(
            apiVersion: "v1",
            kind: "Event",
            namespace: Self.namespace,
            name: "\(load.name).\(UUID().uuidString.lowercased())"
        )
        event["involvedObject"] = [
            "apiVersion": .string(load.kind.apiVersion), "kind": .string(load.kind.rawValue),
            "namespace": .string(Self.namespace), "name": .string(load.name), "uid": .string(load.uid),
        ]
        event["reason"] = .string(reason)
        event["message"] = .string(message)
        event["type"] = "Normal"
        event["source"] = ["component": "lifeboat-micro-service"]
        _ = try await client.create(MicroServiceDataPath.events, event)
    }

    func dataPath(_ client: KubeClient, eventWait: Duration = .seconds(60)) -> MicroServiceDataPath {
        MicroServiceDataPath(
            client: client,
            configuration: .init(namespace: Self.namespace, eventWaitTimeout: eventWait),
            logger: .quiet
        )
    }

    /// The progress reports a data path made.
    final class Reports: Sendable {
        let values = Mutex<[[Int64]]>([])
    }

    func go(_ shared: URL, _ load: LoadObject) throws {
        try Data().write(to: shared.appendingPathComponent(load.name))
    }

    @Test func aBackupForwardsItsProgressAndReturnsTheResultOfItsTerminationMessage() async throws {
        try await withMicroService { client, shared in
            let load = try await load(client, .podVolumeBackup, "pvb-ok")
            let result = DataPathBackupResult(
                snapshotID: "5e1f",
                source: .init(byPath: "/host_pods/x/volumes/kubernetes.io~csi/pv/mount"),
                totalBytes: 8192,
                incrementalBytes: 512
            )
            let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
            try await hostingPod(client, load, shared: shared, result: json, code: 0)
            let reports = Reports()
            let dataPath = dataPath(client)
            try await withThrowingTaskGroup(of: DataPathResult.self) { group in
                group.addTask {
                    try await dataPath.run(load, node: "sandbox-node-1", resumed: false) { total, done in
                        reports.values.withLock { $0.append([total, done]) }
                    }
                }
                try await post(client, load, DataPathMessages.reasonStarted)
                try await post(client, load, DataPathMessages.reasonProgress, #"{"totalBytes":8192,"doneBytes":2048}"#)
                try await waitUntil("progress is forwarded") { reports.values.withLock { $0.contains([8192, 2048]) } }
                try await post(client, load, DataPathMessages.reasonStopped)
                try go(shared, load)
                let finished = try #require(try await group.next())
                #expect(
                    finished
                        == DataPathResult(
                            totalBytes: 8192,
                            path: "/host_pods/x/volumes/kubernetes.io~csi/pv/mount",
                            snapshotID: "5e1f",
                            incrementalBytes: 512
                        )
                )
            }
        }
    }

    @Test func aFailedPodFailsTheDataPathAndACanceledOneCancelsIt() async throws {
        try await withMicroService { client, shared in
            // No Started/Stopped events: the short event wait runs out and the pod's message decides.
            let dataPath = dataPath(client, eventWait: .milliseconds(100))
            let failing = try await load(client, .podVolumeRestore, "pvr-failed")
            try await hostingPod(client, failing, shared: shared, result: "error to open repository", code: 1)
            try go(shared, failing)
            let failure = await #expect(throws: NodeAgentError.self) {
                _ = try await dataPath.run(failing, node: "sandbox-node-1", resumed: false) { _, _ in }
            }
            #expect(failure?.code == .dataPathFailed)
            #expect(failure?.message == "error to open repository")

            let canceled = try await load(client, .podVolumeBackup, "pvb-canceled")
            let message = "error running backup: \(DataPathMessages.canceledMessageSuffix)"
            try await hostingPod(client, canceled, shared: shared, result: message, code: 1)
            try go(shared, canceled)
            let cancel = await #expect(throws: NodeAgentError.self) {
                _ = try await dataPath.run(canceled, node: "sandbox-node-1", resumed: false) { _, _ in }
            }
            #expect(cancel?.code == .dataPathCanceled)
        }
    }

    @Test func aResumedLoadWhoseHostingPodIsGoneFails() async throws {
        try await withMicroService { client, _ in
            let orphan = try await load(client, .podVolumeBackup, "pvb-orphan")
            let gone = await #expect(throws: NodeAgentError.self) {
                _ = try await dataPath(client).run(orphan, node: "sandbox-node-1", resumed: true) { _, _ in }
            }
            #expect(gone?.message == "the data path pod velero/pvb-orphan is gone before it finished")
        }
    }
}
