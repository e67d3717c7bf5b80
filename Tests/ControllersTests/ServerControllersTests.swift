import BackupEngine
import Controllers
import Foundation
import KubeSandboxTesting
import Kubernetes
import KubernetesTesting
import Logging
import ObjectStorage
import Testing
import VeleroAPI

/// The server's controllers against an in-process sandbox, on a manual clock (schedules fire when the test moves
/// time, never by waiting) with a filesystem backup storage location.
@Suite struct ServerControllersTests {
    /// Creates the install namespace and a default filesystem location in `bucket`.
    static func prepare(_ client: KubeClient, bucket: URL) async throws {
        try await client.createNamespaceAndWait("velero")
        try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
        var spec = BackupStorageLocation.Spec(provider: "filesystem", objectStorage: .init(bucket: bucket.path))
        spec.default = true
        let location = BackupStorageLocation(metadata: ObjectMeta(name: "default", namespace: "velero"), spec: spec)
        _ = try await client.create(StorageLocations.resource, try object(location))
    }

    /// Runs `body` with a sandbox that has the install namespace, a default filesystem location and namespace `app`
    /// with ConfigMap `settings`.
    static func withLocationAndApp(_ body: (KubeClient) async throws -> Void) async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await prepare(client, bucket: folder.appendingPathComponent("bucket"))
                try await client.createNamespaceAndWait("app")
                _ = try await client.create(
                    .configMaps,
                    KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "app", name: "settings")
                )
                try await body(client)
            }
        }
    }

    static func object(_ value: some Encodable) throws -> KubeObject {
        guard let object = KubeObject(try JSONValue(encoding: value)) else { throw TestFailure("not an object") }
        return object
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs the controllers on `clock` (wall time = `start` + the clock's offset) while `body` runs.
    static func withControllers(
        _ client: KubeClient,
        clock: ManualClock,
        start: Date,
        _ body: () async throws -> Void
    ) async throws {
        try await StorageControllersTests.withControllers(client, clock: clock, start: start, body)
    }

    static func backups(_ client: KubeClient, schedule: String) async throws -> [KubeObject] {
        try await client.list(Backup.resource, namespace: "velero").items.filter {
            $0.labels[VeleroLabels.scheduleName] == schedule
        }
    }

    @Test func anAppliedBackupIsRunAndABadLocationFailsValidation() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await Self.prepare(client, bucket: folder.appendingPathComponent("bucket"))
                try await client.createNamespaceAndWait("app")
                _ = try await client.create(
                    .configMaps,
                    KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "app", name: "settings")
                )
                let clock = ManualClock()
                try await Self.withControllers(client, clock: clock, start: Date()) {
                    var spec = BackupSpec()
                    spec.includedNamespaces = ["app"]
                    _ = try await client.create(
                        Backup.resource,
                        try Self.object(Backup(metadata: ObjectMeta(name: "applied", namespace: "velero"), spec: spec))
                    )
                    var elsewhere = spec
                    elsewhere.storageLocation = "missing"
                    _ = try await client.create(
                        Backup.resource,
                        try Self.object(
                            Backup(metadata: ObjectMeta(name: "elsewhere", namespace: "velero"), spec: elsewhere)
                        )
                    )
                    try await waitUntil("backup applied Completed") {
                        try await client.get(Backup.resource, namespace: "velero", name: "applied")["status"]?["phase"]
                            == "Completed"
                    }
                    try await waitUntil("backup elsewhere FailedValidation") {
                        try await client.get(Backup.resource, namespace: "velero", name: "elsewhere")["status"]?[
                            "phase"
                        ] == "FailedValidation"
                    }
                    let failed = try await client.get(Backup.resource, namespace: "velero", name: "elsewhere")
                    let errors = failed["status"]?["validationErrors"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    #expect(errors.count == 1 && errors[0].contains("missing"))
                    let applied = try await client.get(Backup.resource, namespace: "velero", name: "applied")
                    #expect(applied.labels[VeleroLabels.storageLocation] == "default")
                    #expect(applied["spec"]?["ttl"]?.stringValue == "720h0m0s")
                }
                let metadata = folder.appendingPathComponent("bucket/backups/applied/velero-backup.json")
                #expect(FileManager.default.fileExists(atPath: metadata.path))
            }
        }
    }

    @Test func anAppliedRestoreIsRunAndBadSourcesFailValidation() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await Self.prepare(client, bucket: folder.appendingPathComponent("bucket"))
                try await client.createNamespaceAndWait("app")
                var settings = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "app", name: "settings")
                settings["data"] = ["mode": "blue"]
                _ = try await client.create(.configMaps, settings)
                try await Self.withControllers(client, clock: ManualClock(), start: Date()) {
                    var spec = BackupSpec()
                    spec.includedNamespaces = ["app"]
                    var backup = Backup(metadata: ObjectMeta(name: "nightly-1", namespace: "velero"), spec: spec)
                    backup.metadata.labels = ["velero.io/schedule-name": "nightly"]
                    _ = try await client.create(Backup.resource, try Self.object(backup))
                    try await waitUntil("backup nightly-1 Completed") {
                        try await client.get(Backup.resource, namespace: "velero", name: "nightly-1")["status"]?[
                            "phase"
                        ] == "Completed"
                    }
                    try await client.delete(.configMaps, namespace: "app", name: "settings")
                    func restore(_ name: String, _ spec: JSONValue) async throws {
                        var object = KubeObject(
                            apiVersion: "velero.io/v1",
                            kind: "Restore",
                            namespace: "velero",
                            name: name
                        )
                        object["spec"] = spec
                        _ = try await client.create(Restore.resource, object)
                    }
                    func status(_ name: String) async throws -> JSONValue? {
                        try await client.get(Restore.resource, namespace: "velero", name: name)["status"]
                    }
                    // By schedule: its most recent Completed backup.
                    try await restore("from-schedule", ["scheduleName": "nightly"])
                    try await restore("both", ["backupName": "nightly-1", "scheduleName": "nightly"])
                    try await restore("missing", ["backupName": "nope"])
                    try await restore("no-schedule", ["scheduleName": "weekly"])
                    try await waitUntil("restore from-schedule Completed") {
                        try await status("from-schedule")?["phase"] == "Completed"
                    }
                    let restored = try await client.get(.configMaps, namespace: "app", name: "settings")
                    #expect(restored["data"]?["mode"] == "blue")
                    let done = try await client.get(Restore.resource, namespace: "velero", name: "from-schedule")
                    #expect(done["spec"]?["backupName"] == "nightly-1")
                    for (name, message) in [
                        (
                            "both",
                            "Either a backup or schedule must be specified as a source for the restore, but not both"
                        ),
                        ("missing", "Error retrieving backup: can't find backup velero/nope"),
                        ("no-schedule", "No backups found for schedule"),
                    ] {
                        try await waitUntil("restore \(name) FailedValidation") {
                            try await status(name)?["phase"] == "FailedValidation"
                        }
                        let errors = try await status(name)?["validationErrors"]?.arrayValue?.compactMap(\.stringValue)
                        #expect(errors?.first?.hasPrefix(message) == true, "\(name): \(String(describing: errors))")
                    }
                }
            }
        }
    }

    @Test func schedulesFireOnTheirTicksAndPausedOnesDoNot() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await Self.prepare(client, bucket: folder.appendingPathComponent("bucket"))
                let clock = ManualClock()
                let start = Date()
                try await Self.withControllers(client, clock: clock, start: start) {
                    var template = BackupSpec()
                    template.includedNamespaces = ["velero"]
                    template.includedResources = ["configmaps"]
                    var paused = Schedule(
                        metadata: ObjectMeta(name: "paused", namespace: "velero"),
                        spec: .init(template: template, schedule: "@every 5s")
                    )
                    paused.spec.paused = true
                    _ = try await client.create(Schedule.resource, try Self.object(paused))
                    let every = Schedule(
                        metadata: ObjectMeta(name: "every", namespace: "velero"),
                        spec: .init(template: template, schedule: "@every 5s")
                    )
                    _ = try await client.create(Schedule.resource, try Self.object(every))
                    try await waitUntil("schedule every Enabled") {
                        try await client.get(Schedule.resource, namespace: "velero", name: "every")["status"]?["phase"]
                            == "Enabled"
                    }
                    #expect(try await Self.backups(client, schedule: "every").isEmpty)
                    for tick in 1...2 {
                        clock.advance(by: .seconds(6))
                        try await waitUntil("backup \(tick) of schedule every") {
                            try await Self.backups(client, schedule: "every").count == tick
                        }
                        try await waitUntil("backup \(tick) of schedule every Completed") {
                            try await Self.backups(client, schedule: "every").allSatisfy {
                                $0["status"]?["phase"]?.stringValue == "Completed"
                            }
                        }
                    }
                    // Time moved twelve seconds past the paused schedule too: it made nothing and was never touched.
                    #expect(try await Self.backups(client, schedule: "paused").isEmpty)
                    let pausedNow = try await client.get(Schedule.resource, namespace: "velero", name: "paused")
                    #expect(pausedNow["status"]?["phase"] == nil)
                    let names = try await Self.backups(client, schedule: "every").compactMap(\.name).sorted()
                    #expect(names.allSatisfy { $0.hasPrefix("every-") && $0.count == "every-".count + 14 })
                    let schedule = try await client.get(Schedule.resource, namespace: "velero", name: "every")
                    #expect(schedule["status"]?["lastBackup"]?.stringValue != nil)
                }
            }
        }
    }

    @Test func aBadCronFailsValidation() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await Self.prepare(client, bucket: folder.appendingPathComponent("bucket"))
                try await Self.withControllers(client, clock: ManualClock(), start: Date()) {
                    let bad = Schedule(
                        metadata: ObjectMeta(name: "bad", namespace: "velero"),
                        spec: .init(template: BackupSpec(), schedule: "61 * * * *")
                    )
                    _ = try await client.create(Schedule.resource, try Self.object(bad))
                    try await waitUntil("schedule bad FailedValidation") {
                        try await client.get(Schedule.resource, namespace: "velero", name: "bad")["status"]?["phase"]
                            == "FailedValidation"
                    }
                    let errors = try await client.get(Schedule.resource, namespace: "velero", name: "bad")["status"]?[
                        "validationErrors"
                    ]?.arrayValue?.compactMap(\.stringValue)
                    #expect(errors?.count == 1 && errors?.first?.hasPrefix("invalid schedule: ") == true)
                }
            }
        }
    }

    @Test func backupsLeftInProgressByAFormerLeaderEndFailed() async throws {
        try await withSandbox { _, client in
            try await client.createNamespaceAndWait("velero")
            var running = Backup(metadata: ObjectMeta(name: "running", namespace: "velero"))
            running.status = BackupStatus(phase: BackupPhase.inProgress)
            var done = Backup(metadata: ObjectMeta(name: "done", namespace: "velero"))
            done.status = BackupStatus(phase: BackupPhase.completed)
            for backup in [running, done] {
                _ = try await client.create(Backup.resource, try Self.object(backup))
            }
            await ServerControllers<ManualClock>.markInProgressFailed(
                client: client,
                namespace: "velero",
                now: { Date() },
                logger: .quiet
            )
            let failed = try await client.get(Backup.resource, namespace: "velero", name: "running")
            #expect(failed["status"]?["phase"] == "Failed")
            #expect(
                failed["status"]?["failureReason"]?.stringValue
                    == "found a backup with status \"InProgress\" during the server starting, mark it as \"Failed\""
            )
            #expect(
                try await client.get(Backup.resource, namespace: "velero", name: "done")["status"]?["phase"]
                    == "Completed"
            )
        }
    }
}
