import BackupEngine
import Controllers
import Foundation
import KubeSandboxTesting
import Kubernetes
import KubernetesTesting
import Testing
import VeleroAPI

/// The DownloadRequest and ServerStatusRequest controllers against an in-process sandbox, on a manual clock.
@Suite struct RequestControllersTests {
    static func request(_ client: KubeClient, _ name: String, kind: String, target: String) async throws {
        let request = DownloadRequest(
            metadata: ObjectMeta(name: name, namespace: "velero"),
            spec: .init(target: .init(kind: kind, name: target))
        )
        _ = try await client.create(DownloadRequest.resource, try ServerControllersTests.object(request))
    }

    static func status(_ client: KubeClient, _ name: String) async throws -> DownloadRequest.Status? {
        try await client.get(DownloadRequest.resource, namespace: "velero", name: name).value.decode(
            as: DownloadRequest.self
        ).status
    }

    /// The file a `file://` URL names.
    static func file(_ url: String) throws -> Data {
        guard url.hasPrefix("file://"), let path = url.dropFirst(7).removingPercentEncoding else {
            throw ServerControllersTests.TestFailure("not a file URL: \(url)")
        }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test func downloadRequestsGetAURLOfTheirFileValidTenMinutesThenGo() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                let bucket = folder.appendingPathComponent("bucket")
                try await ServerControllersTests.prepare(client, bucket: bucket)
                let clock = ManualClock()
                let start = Date()
                try await StorageControllersTests.withControllers(client, clock: clock, start: start) {
                    try await StorageControllersTests.backUp(client, "b1")
                    // A restore of b1 with its results in the location.
                    var restore = KubeObject(
                        apiVersion: "velero.io/v1",
                        kind: "Restore",
                        namespace: "velero",
                        name: "r1"
                    )
                    restore["spec"] = ["backupName": "b1"]
                    // Completed already (as if an earlier run did it): the Restore controller leaves it alone.
                    restore["status"] = ["phase": "Completed"]
                    _ = try await client.create(Restore.resource, restore)
                    let restoreFolder = bucket.appendingPathComponent("restores/r1")
                    try FileManager.default.createDirectory(at: restoreFolder, withIntermediateDirectories: true)
                    let results = Data("results of r1".utf8)
                    try results.write(to: restoreFolder.appendingPathComponent("restore-r1-results.gz"))

                    try await Self.request(client, "log", kind: DownloadTargetKind.backupLog, target: "b1")
                    try await Self.request(client, "results", kind: DownloadTargetKind.restoreResults, target: "r1")
                    try await Self.request(client, "missing", kind: DownloadTargetKind.backupLog, target: "nope")
                    for name in ["log", "results"] {
                        try await waitUntil("\(name) Processed") {
                            try await Self.status(client, name)?.phase == "Processed"
                        }
                    }
                    let log = try #require(try await Self.status(client, "log"))
                    let logURL = try #require(log.downloadURL)
                    #expect(logURL.hasSuffix("/backups/b1/b1-logs.gz"), "\(logURL)")
                    let logFile = bucket.appendingPathComponent("backups/b1/b1-logs.gz")
                    #expect(try Self.file(logURL) == (try Data(contentsOf: logFile)))
                    let expiration = try #require(log.expiration.flatMap(Timestamps.parse))
                    #expect(abs(expiration.timeIntervalSince(start) - 600) < 5, "\(log)")
                    #expect(
                        try Self.file(try #require(try await Self.status(client, "results")?.downloadURL)) == results
                    )
                    // A request for a backup that does not exist: no URL, but an expiration so that it goes too.
                    try await waitUntil("missing has an expiration") {
                        try await Self.status(client, "missing")?.expiration != nil
                    }
                    let missing = try await Self.status(client, "missing")
                    #expect(
                        missing?.downloadURL == nil && missing?.phase != "Processed",
                        "\(String(describing: missing))"
                    )

                    clock.advance(by: .seconds(601))
                    try await waitUntil("expired requests deleted") {
                        try await client.list(DownloadRequest.resource, namespace: "velero").items.isEmpty
                    }
                }
            }
        }
    }

    @Test func serverStatusRequestsAreAnsweredThenDeletedAMinuteLater() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await ServerControllersTests.prepare(client, bucket: folder.appendingPathComponent("bucket"))
                let clock = ManualClock()
                try await StorageControllersTests.withControllers(client, clock: clock) {
                    let request = ServerStatusRequest(metadata: ObjectMeta(name: "ssr", namespace: "velero"))
                    _ = try await client.create(
                        ServerStatusRequest.resource,
                        try ServerControllersTests.object(request)
                    )
                    var answered: ServerStatusRequest.Status?
                    try await waitUntil("ssr Processed") {
                        answered = try await client.get(ServerStatusRequest.resource, namespace: "velero", name: "ssr")
                            .value.decode(as: ServerStatusRequest.self).status
                        return answered?.phase == "Processed"
                    }
                    #expect(answered?.serverVersion == "test-version")
                    #expect(answered?.plugins == StorageControllersTests.plugins)
                    #expect(answered?.processedTimestamp != nil)
                    clock.advance(by: .seconds(61))
                    try await waitUntil("ssr deleted") {
                        try await !StorageControllersTests.exists(client, ServerStatusRequest.resource, "ssr")
                    }
                }
            }
        }
    }

    // MARK: - decisions

    @Test func aDownloadRequestIsAnsweredWhenNewKeptUntilItExpiresThenDeleted() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func request(_ phase: String?, expiresIn seconds: TimeInterval?) -> DownloadRequest {
            DownloadRequest(
                metadata: ObjectMeta(name: "r"),
                status: .init(phase: phase, expiration: seconds.map { Timestamps.format(now.addingTimeInterval($0)) })
            )
        }
        #expect(DownloadRequestStep.decide(request(nil, expiresIn: nil), now: now) == .process)
        #expect(DownloadRequestStep.decide(request("New", expiresIn: 300), now: now) == .process)
        #expect(
            DownloadRequestStep.decide(request("Processed", expiresIn: 300), now: now)
                == .wait(recheck: now.addingTimeInterval(300))
        )
        // Expired: deleted whatever the phase.
        #expect(DownloadRequestStep.decide(request("Processed", expiresIn: -1), now: now) == .delete)
        #expect(DownloadRequestStep.decide(request("New", expiresIn: -1), now: now) == .delete)
    }

    @Test func aServerStatusRequestIsDeletedAMinuteAfterItWasAnswered() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func request(_ phase: String?, answeredAgo seconds: TimeInterval? = nil) -> ServerStatusRequest {
            var status = ServerStatusRequest.Status(phase: phase)
            status.processedTimestamp = seconds.map { Timestamps.format(now.addingTimeInterval(-$0)) }
            return ServerStatusRequest(metadata: ObjectMeta(name: "r"), status: status)
        }
        #expect(ServerStatusRequestStep.decide(request(nil), now: now) == .answer)
        #expect(ServerStatusRequestStep.decide(request("New"), now: now) == .answer)
        #expect(
            ServerStatusRequestStep.decide(request("Processed", answeredAgo: 59), now: now)
                == .wait(recheck: now.addingTimeInterval(1))
        )
        #expect(ServerStatusRequestStep.decide(request("Processed", answeredAgo: 61), now: now) == .delete)
        #expect(ServerStatusRequestStep.decide(request("Odd"), now: now) == .unexpected("Odd"))
    }
}
