import BackupEngine
import Controllers
import Foundation
import KubeSandboxTesting
import Kubernetes
import KubernetesTesting
import ProcessTesting
import Prometheus
import Testing
import VeleroAPI

/// BackupRepository maintenance (Velero 1.18's `BackupRepoReconciler`): when a `Ready` restic repository is due, the
/// server prunes it under the exclusive lock and records the run; what it decides is checked as a pure decision,
/// what it does on a repository the stock `restic` wrote, and `restic` then checks it.
@Suite struct RepositoryMaintenanceTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func repository(
        frequency: String = "1h0m0s",
        type: String? = "restic",
        phase: String? = "Ready",
        lastMaintenance: Date? = nil
    ) -> BackupRepository {
        var repository = BackupRepository(
            metadata: ObjectMeta(name: "app-default-restic", namespace: "velero"),
            spec: .init(
                volumeNamespace: "app",
                backupStorageLocation: "default",
                repositoryType: type,
                resticIdentifier: "restic/app",
                maintenanceFrequency: frequency
            )
        )
        var status = BackupRepository.Status(phase: phase)
        status.lastMaintenanceTime = lastMaintenance.map(Timestamps.format)
        repository.status = status
        return repository
    }

    @Test func aReadyRepositoryIsDueOnceItsFrequencyHasPassedAndOthersAreLeftAlone() {
        func decide(
            _ repository: BackupRepository,
            readOnly: Bool = false,
            server: Duration? = nil,
            at now: Date
        )
            -> RepositoryMaintenanceDecision
        {
            RepositoryMaintenanceDecision.decide(
                repository,
                locationReadOnly: readOnly,
                serverFrequency: server,
                now: now
            )
        }
        let last = Self.start
        // Never maintained: at once.
        #expect(decide(Self.repository(), at: last) == .maintain(frequency: .seconds(3600)))
        // Not yet due: back exactly when it is.
        #expect(
            decide(Self.repository(lastMaintenance: last), at: last.addingTimeInterval(600)) == .wait(.seconds(3000))
        )
        #expect(
            decide(Self.repository(lastMaintenance: last), at: last.addingTimeInterval(3601))
                == .maintain(frequency: .seconds(3600))
        )
        // The spec's frequency wins; without one the server's, then a week.
        #expect(
            RepositoryMaintenanceDecision.frequency(of: Self.repository(), serverFrequency: .seconds(60))
                == .seconds(3600)
        )
        #expect(
            RepositoryMaintenanceDecision.frequency(of: Self.repository(frequency: ""), serverFrequency: .seconds(60))
                == .seconds(60)
        )
        #expect(
            RepositoryMaintenanceDecision.frequency(of: Self.repository(frequency: "0s"), serverFrequency: nil)
                == .seconds(7 * 24 * 3600)
        )
        // Not Ready, not restic, or a ReadOnly location: skipped.
        if case .skip = decide(Self.repository(phase: "NotReady"), at: last) {
        } else {
            Issue.record("NotReady maintained")
        }
        if case .skip = decide(Self.repository(type: "kopia"), at: last) {} else { Issue.record("kopia maintained") }
        if case .skip = decide(Self.repository(), readOnly: true, at: last) {
        } else {
            Issue.record("ReadOnly maintained")
        }
    }

    @Test func theHistoryKeepsTheLastThreeRunsAndOnlySuccessesMoveTheLastMaintenanceTime() {
        var status: BackupRepository.Status? = BackupRepository.Status(phase: "Ready")
        for run in 0..<4 {
            let start = Self.start.addingTimeInterval(Double(run) * 100)
            status = RepositoryMaintenanceDecision.recording(
                status,
                succeeded: run != 3,
                start: start,
                end: start.addingTimeInterval(5),
                message: "run \(run)"
            )
        }
        #expect(status?.recentMaintenance?.map(\.message) == ["run 1", "run 2", "run 3"])
        #expect(status?.recentMaintenance?.map(\.result) == ["Succeeded", "Succeeded", "Failed"])
        #expect(status?.lastMaintenanceTime == Timestamps.format(Self.start.addingTimeInterval(205)))
    }

    /// Runs the stock `restic` on the repository at `path` with password `pw`.
    static func restic(_ arguments: [String], repository path: String) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            try ChildProcess.find("restic"),
            ["-r", path, "--no-cache"] + arguments,
            environment: ["RESTIC_PASSWORD": "pw"],
            timeout: .seconds(120)
        )
    }

    /// The recorded maintenance runs of BackupRepository `name`.
    static func runs(_ client: KubeClient, _ name: String) async throws -> [JSONValue] {
        let live = try await client.get(BackupRepository.resource, namespace: "velero", name: name)
        return live["status"]?["recentMaintenance"]?.arrayValue ?? []
    }

    static func dataPacks(_ repository: URL) -> Int {
        let walk = FileManager.default.enumerator(atPath: repository.appendingPathComponent("data").path)
        return (walk?.allObjects as? [String] ?? []).filter { $0.count > 3 }.count
    }

    @Test(.timeLimit(.minutes(3)))
    func aDueRepositoryThatResticWroteIsPrunedAndTheRunRecorded() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                let bucket = folder.appendingPathComponent("bucket")
                try await ServerControllersTests.prepare(client, bucket: bucket)
                var secret = KubeObject(
                    apiVersion: "v1",
                    kind: "Secret",
                    namespace: "velero",
                    name: "velero-repo-credentials"
                )
                secret["data"] = ["repository-password": .string(Data("pw".utf8).base64EncodedString())]
                _ = try await client.create(.secrets, secret)

                // Two snapshots of different data by the stock restic; one is forgotten, its data stays until a prune.
                let repository = bucket.appendingPathComponent("restic/app")
                let initialized = try await Self.restic(["init"], repository: repository.path)
                try #require(initialized.status == 0, "\(initialized.output)")
                var snapshots: [String] = []
                for name in ["kept", "forgotten"] {
                    let source = folder.appendingPathComponent(name)
                    try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
                    try Data((0..<(3 << 20)).map { _ in UInt8.random(in: 0...255) }).write(
                        to: source.appendingPathComponent("blob")
                    )
                    let backup = try await Self.restic(["backup", "--json", source.path], repository: repository.path)
                    try #require(backup.status == 0, "\(backup.output)")
                    let summary = backup.stdout.split(separator: "\n").compactMap {
                        try? JSONValue(parsing: Array($0.utf8))
                    }.first { $0["message_type"] == "summary" }
                    snapshots.append(try #require(summary?["snapshot_id"]?.stringValue))
                }
                let forget = try await Self.restic(["forget", snapshots[1]], repository: repository.path)
                try #require(forget.status == 0, "\(forget.output)")
                let packsBefore = Self.dataPacks(repository)
                let kept = snapshots[0]
                let name = Self.repository().name

                let record = Self.repository(lastMaintenance: Self.start.addingTimeInterval(-7200))
                _ = try await client.create(BackupRepository.resource, try ServerControllersTests.object(record))
                let clock = ManualClock()
                let registry = PrometheusCollectorRegistry()
                try await StorageControllersTests.withControllers(
                    client,
                    clock: clock,
                    start: Self.start,
                    metricsFactory: ServerMetricsTests.factory(registry)
                ) {
                    try await Self.expectRuns(client, clock, name, repository, packsBefore: packsBefore, kept: kept)
                    let succeeded = ServerMetricsTests.value(
                        registry,
                        ServerMetrics.Name.repoMaintenanceSuccess,
                        [ServerMetrics.repositoryLabel: name]
                    )
                    #expect(succeeded == 2)
                    let timed = ServerMetricsTests.value(
                        registry,
                        ServerMetrics.Name.repoMaintenanceDuration + "_count",
                        [ServerMetrics.repositoryLabel: name]
                    )
                    #expect(timed == 2)
                }
            }
        }
    }

    /// The checks of ``aDueRepositoryThatResticWroteIsPrunedAndTheRunRecorded()`` while the controllers run.
    static func expectRuns(
        _ client: KubeClient,
        _ clock: ManualClock,
        _ name: String,
        _ repository: URL,
        packsBefore: Int,
        kept: String
    ) async throws {
        try await waitUntil("the first maintenance run recorded", timeout: .seconds(60)) {
            try await Self.runs(client, name).count == 1
        }
        let first = try #require(try await Self.runs(client, name).first)
        #expect(first["result"] == "Succeeded", "\(first)")
        #expect(first["message"]?.stringValue?.hasPrefix("pruned: ") == true, "\(first)")
        let live = try await client.get(BackupRepository.resource, namespace: "velero", name: name)
        #expect(live["status"]?["lastMaintenanceTime"]?.stringValue == Timestamps.format(Self.start))
        #expect(live["status"]?["phase"] == "Ready")
        // The forgotten snapshot's packs are gone; restic finds the repository sound and the kept one whole.
        #expect(
            Self.dataPacks(repository) < packsBefore,
            "packs \(packsBefore) → \(Self.dataPacks(repository))"
        )
        let check = try await Self.restic(["check", "--read-data"], repository: repository.path)
        #expect(check.status == 0, "\(check.output)")
        let listed = try await Self.restic(["snapshots", "--json"], repository: repository.path)
        let ids = (try JSONValue(parsing: Array(listed.stdoutData)).arrayValue ?? []).compactMap {
            $0["id"]?.stringValue
        }
        #expect(ids.count == 1 && ids.first?.hasPrefix(kept) == true, "\(ids) after keeping \(kept)")

        // An hour later (the spec's frequency), the next run.
        clock.advance(by: .seconds(3601))
        try await waitUntil("the second maintenance run recorded", timeout: .seconds(60)) {
            try await Self.runs(client, name).count == 2
        }
    }
}
