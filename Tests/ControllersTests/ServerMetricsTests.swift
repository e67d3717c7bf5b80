import BackupEngine
import Controllers
import Foundation
import KubeSandboxTesting
import Kubernetes
import KubernetesTesting
import Prometheus
import Testing
import VeleroAPI

/// Velero's metrics as the controllers record them, read back from a Prometheus registry of the test's own (the
/// text exposition parsed into samples).
@Suite struct ServerMetricsTests {
    /// One sample of the text exposition format: `name{label="value",…} value`.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The samples of `registry`'s text exposition (comments skipped).
    static func samples(_ registry: PrometheusCollectorRegistry) -> [Sample] {
        registry.emitToString().split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...])
            else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                return Sample(name: String(series), labels: [:], value: value)
            }
            var labels: [String: String] = [:]
            // Label values here hold no comma, quote or brace.
            for pair in series[series.index(after: brace)...].dropLast().split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { return nil }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    /// The value of the sample `name` with exactly `labels`, nil when there is none.
    static func value(_ registry: PrometheusCollectorRegistry, _ name: String, _ labels: [String: String]) -> Double? {
        samples(registry).first { $0.name == name && $0.labels == labels }?.value
    }

    static func factory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = ServerMetrics.durationHistogramBuckets
        return factory
    }

    typealias Name = ServerMetrics.Name

    @Test func backupsRestoresAndDeletionsAreCountedAsVeleroCountsThem() async throws {
        try await ServerControllersTests.withLocationAndApp { client in
            let registry = PrometheusCollectorRegistry()
            let factory = Self.factory(registry)
            try await StorageControllersTests.withControllers(
                client,
                clock: ManualClock(),
                metricsFactory: factory
            ) {
                try await Self.createBackups(client)
                try await Self.createRestoresAndDeletion(client)
                let none = ["schedule": ""]
                let nightly = ["schedule": "nightly"]
                // Each is recorded once its object has reached its end: wait for all, then look closer.
                let expected: [(String, [String: String], Double)] = [
                    (Name.backupAttempt, none, 1), (Name.backupSuccess, none, 1),
                    (Name.backupValidationFailure, none, 1), (Name.backupAttempt, nightly, 1),
                    (Name.backupSuccess, nightly, 1), (Name.backupLastStatus, nightly, 1),
                    (Name.restoreAttempt, nightly, 1), (Name.restoreSuccess, nightly, 1),
                    (Name.restoreAttempt, none, 1), (Name.restoreValidationFailed, none, 1),
                    (Name.backupDeletionAttempt, none, 1), (Name.backupDeletionSuccess, none, 1),
                    (Name.backupLocationStatus, ["backup_location_name": "default"], 1),
                ]
                do {
                    try await waitUntil("the metrics of 3 backups, 2 restores and a deletion") {
                        expected.allSatisfy { Self.value(registry, $0.0, $0.1) == $0.2 }
                    }
                } catch {
                    let wrong = expected.filter { Self.value(registry, $0.0, $0.1) != $0.2 }.map {
                        "\($0.0)\($0.1) = \(Self.value(registry, $0.0, $0.1).map { "\($0)" } ?? "none")"
                    }
                    Issue.record(Comment(rawValue: "expected \(expected.count) values, these differ: \(wrong)"))
                    throw error
                }
                for (name, labels) in [
                    (Name.backupFailure, none), (Name.backupPartialFailure, none), (Name.backupFailure, nightly),
                    (Name.restoreFailed, nightly), (Name.backupDeletionFailure, none),
                ] {
                    #expect(Self.value(registry, name, labels) ?? 0 == 0, "\(name)\(labels)")
                }
                #expect(Self.value(registry, Name.restoreSuccess, none) ?? 0 == 0)
                #expect((Self.value(registry, Name.backupTarballSize, none) ?? 0) > 0)
                #expect((Self.value(registry, Name.backupItemsTotal, nightly) ?? 0) >= 1)
                #expect(Self.value(registry, Name.backupItemsErrors, nightly) == 0)
                // The duration histogram, with Velero's buckets (seconds); both backups took less than a minute.
                let buckets = Self.samples(registry).filter {
                    $0.name == Name.backupDuration + "_bucket" && $0.labels["schedule"] == ""
                }
                #expect(
                    buckets.compactMap { $0.labels["le"] }.map { Double($0) ?? -1 }
                        == [60, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, .infinity]
                )
                #expect(buckets.allSatisfy { $0.value == 1 })
                #expect(Self.value(registry, Name.backupDuration + "_count", nightly) == 1)

                let inventory = InventoryMetrics(
                    client: client,
                    namespace: "velero",
                    metrics: ServerMetrics(factory: factory),
                    clock: ManualClock(),
                    logger: .quiet
                )
                await inventory.refresh()
                // Backup applied is deleted: elsewhere and nightly-1 are left; two restores.
                #expect(Self.value(registry, Name.backupTotal, [:]) == 2)
                #expect(Self.value(registry, Name.restoreTotal, [:]) == 2)
                let completed = try await client.get(Backup.resource, namespace: "velero", name: "nightly-1")
                let time = try #require(completed["status"]?["completionTimestamp"]?.stringValue)
                #expect(
                    Self.value(registry, Name.backupLastSuccessfulTimestamp, nightly)
                        == Timestamps.parse(time)?.timeIntervalSince1970
                )
            }
        }
    }

    /// Backups `applied` (by hand), `elsewhere` (a location that does not exist: FailedValidation) and `nightly-1`
    /// (of schedule `nightly`), each awaited to its end.
    static func createBackups(_ client: KubeClient) async throws {
        var spec = BackupSpec()
        spec.includedNamespaces = ["app"]
        var elsewhere = spec
        elsewhere.storageLocation = "missing"
        var scheduled = Backup(metadata: ObjectMeta(name: "nightly-1", namespace: "velero"), spec: spec)
        scheduled.metadata.labels = [VeleroLabels.scheduleName: "nightly"]
        for backup in [
            Backup(metadata: ObjectMeta(name: "applied", namespace: "velero"), spec: spec),
            Backup(metadata: ObjectMeta(name: "elsewhere", namespace: "velero"), spec: elsewhere), scheduled,
        ] {
            _ = try await client.create(Backup.resource, try ServerControllersTests.object(backup))
        }
        for (name, phase) in [("applied", "Completed"), ("elsewhere", "FailedValidation"), ("nightly-1", "Completed")] {
            try await waitUntil("backup \(name) \(phase)") {
                try await StorageControllersTests.phase(client, Backup.resource, name) == phase
            }
        }
    }

    /// Restore `r1` of `nightly-1`, restore `bad` of a backup that does not exist, and the deletion of `applied`.
    static func createRestoresAndDeletion(_ client: KubeClient) async throws {
        // Restores and deletions read only a location validated Available.
        try await waitUntil("location default Available") {
            try await StorageControllersTests.phase(client, BackupStorageLocation.resource, "default") == "Available"
        }
        for (name, backup) in [("r1", "nightly-1"), ("bad", "nope")] {
            var restore = KubeObject(apiVersion: "velero.io/v1", kind: "Restore", namespace: "velero", name: name)
            restore["spec"] = ["backupName": .string(backup)]
            _ = try await client.create(Restore.resource, restore)
        }
        var request = KubeObject(
            apiVersion: "velero.io/v1",
            kind: "DeleteBackupRequest",
            namespace: "velero",
            name: "delete-applied"
        )
        request["spec"] = ["backupName": "applied"]
        _ = try await client.create(DeleteBackupRequest.resource, request)
        try await waitUntil("backup applied deleted") {
            try await !StorageControllersTests.exists(client, Backup.resource, "applied")
        }
    }

    @Test func aScheduleStartsAtZeroKeepsItsLastStatusAndGoesWhenDropped() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ServerMetrics(factory: Self.factory(registry))
        let nightly = ["schedule": "nightly"]
        metrics.initSchedule("nightly")
        for name in [Name.backupAttempt, Name.backupSuccess, Name.restoreAttempt, Name.backupDeletionAttempt] {
            #expect(Self.value(registry, name, nightly) == 0, "\(name)")
        }
        #expect(Self.value(registry, Name.backupLastStatus, nightly) == 1)
        metrics.backupAttempt(schedule: "nightly")
        metrics.backupEnded(phase: BackupPhase.partiallyFailed, schedule: "nightly")
        metrics.initSchedule("nightly")
        #expect(Self.value(registry, Name.backupAttempt, nightly) == 1)
        #expect(Self.value(registry, Name.backupPartialFailure, nightly) == 1)
        #expect(Self.value(registry, Name.backupLastStatus, nightly) == 0)
        metrics.initSchedule("")
        metrics.removeSchedule("nightly")
        #expect(!Self.samples(registry).contains { $0.labels["schedule"] == "nightly" })
        #expect(Self.value(registry, Name.backupAttempt, ["schedule": ""]) == 0)
    }

    @Test func theLastSuccessOfEachScheduleIsItsNewestCompletedBackup() {
        func backup(_ name: String, schedule: String?, phase: String, completed: String) -> Backup {
            var backup = Backup(metadata: ObjectMeta(name: name, namespace: "velero"))
            backup.metadata.labels = schedule.map { [VeleroLabels.scheduleName: $0] }
            var status = BackupStatus(phase: phase)
            status.completionTimestamp = completed
            backup.status = status
            return backup
        }
        let last = InventoryMetrics<ManualClock>.lastSuccessBySchedule([
            backup("a", schedule: nil, phase: "Completed", completed: "2025-01-01T10:00:00Z"),
            backup("b", schedule: nil, phase: "Failed", completed: "2025-01-02T10:00:00Z"),
            backup("c", schedule: "nightly", phase: "Completed", completed: "2025-01-03T10:00:00Z"),
            backup("d", schedule: "nightly", phase: "Completed", completed: "2025-01-02T10:00:00Z"),
            backup("e", schedule: "weekly", phase: "PartiallyFailed", completed: "2025-01-02T10:00:00Z"),
        ])
        #expect(
            last
                == [
                    "": Timestamps.parse("2025-01-01T10:00:00Z"), "nightly": Timestamps.parse("2025-01-03T10:00:00Z"),
                ].compactMapValues { $0 }
        )
    }
}
