import BackupEngine
import Controllers
import CoreMetrics
import Foundation
import KubeSandboxTesting
import Kubernetes
import KubernetesTesting
import Logging
import ObjectStorage
import Testing
import VeleroAPI

/// The location, sync, GC and deletion controllers against an in-process sandbox, on a manual clock: passes happen
/// when the test moves time, never by waiting.
@Suite struct StorageControllersTests {
    /// Runs the server's controllers on `clock` (wall time = `start` + the clock's offset), recording their metrics
    /// through `metricsFactory`, while `body` runs.
    static func withControllers(
        _ client: KubeClient,
        clock: ManualClock,
        start: Date = Date(),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
        _ body: () async throws -> Void
    ) async throws {
        let controllers = ServerControllers(
            client: client,
            configuration: .init(
                namespace: "velero",
                storeValidationFrequency: .seconds(60),
                garbageCollectionFrequency: .seconds(3600),
                backupSyncPeriod: .seconds(60),
                serverVersion: "test-version",
                plugins: plugins,
                now: {
                    let offset = clock.now.offset.components
                    return start.addingTimeInterval(Double(offset.seconds) + Double(offset.attoseconds) / 1e18)
                },
                metricsFactory: metricsFactory
            ),
            locations: StorageLocations(
                client: client,
                namespace: "velero",
                factory: ObjectStoreFactory(environment: [:]),
                logger: .quiet
            ),
            clock: clock,
            logger: .quiet
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await controllers.run() }
            defer { group.cancelAll() }
            try await body()
        }
    }

    static let plugins = [ServerStatusRequest.PluginInfo(name: "velero.io/pod", kind: "BackupItemAction")]

    static func phase(_ client: KubeClient, _ resource: GroupVersionResource, _ name: String) async throws -> String? {
        try await client.get(resource, namespace: "velero", name: name)["status"]?["phase"]?.stringValue
    }

    static func exists(_ client: KubeClient, _ resource: GroupVersionResource, _ name: String) async throws -> Bool {
        do {
            _ = try await client.get(resource, namespace: "velero", name: name)
            return true
        } catch let error as KubeError where error.code == .notFound {
            return false
        }
    }

    /// Creates Backup `name` of namespace `velero`'s ConfigMaps and waits for it to complete.
    static func backUp(_ client: KubeClient, _ name: String, ttl: String? = nil) async throws {
        var spec = BackupSpec()
        spec.includedNamespaces = ["velero"]
        spec.includedResources = ["configmaps"]
        spec.ttl = ttl
        let backup = Backup(metadata: ObjectMeta(name: name, namespace: "velero"), spec: spec)
        _ = try await client.create(Backup.resource, try ServerControllersTests.object(backup))
        try await waitUntil("backup \(name) Completed") {
            try await phase(client, Backup.resource, name) == "Completed"
        }
    }

    @Test func anExpiredBackupIsDeletedFromTheLocationAndTheClusterAtTheNextPass() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                let bucket = folder.appendingPathComponent("bucket")
                try await ServerControllersTests.prepare(client, bucket: bucket)
                let clock = ManualClock()
                try await Self.withControllers(client, clock: clock) {
                    try await waitUntil("location default Available") {
                        try await Self.phase(client, BackupStorageLocation.resource, "default") == "Available"
                    }
                    try await Self.backUp(client, "short", ttl: "10s")
                    try await Self.backUp(client, "long")
                    let metadata = bucket.appendingPathComponent("backups/short/velero-backup.json")
                    #expect(FileManager.default.fileExists(atPath: metadata.path))
                    // A restore of `short`, with its files in the location.
                    var restore = KubeObject(
                        apiVersion: "velero.io/v1",
                        kind: "Restore",
                        namespace: "velero",
                        name: "r1"
                    )
                    restore["spec"] = ["backupName": "short"]
                    // Completed already (as if an earlier run did it): the Restore controller leaves it alone.
                    restore["status"] = ["phase": "Completed"]
                    _ = try await client.create(Restore.resource, restore)
                    let restoreFolder = bucket.appendingPathComponent("restores/r1")
                    try FileManager.default.createDirectory(at: restoreFolder, withIntermediateDirectories: true)
                    try Data("log".utf8).write(to: restoreFolder.appendingPathComponent("restore-r1-logs.gz"))
                    // The next GC pass, an hour later: `short` expired, `long` (720h) did not.
                    clock.advance(by: .seconds(3601))
                    try await waitUntil("backup short deleted") {
                        try await !Self.exists(client, Backup.resource, "short")
                    }
                    #expect(
                        !FileManager.default.fileExists(atPath: bucket.appendingPathComponent("backups/short").path)
                    )
                    #expect(try await !Self.exists(client, Restore.resource, "r1"))
                    #expect(
                        !FileManager.default.fileExists(
                            atPath: restoreFolder.appendingPathComponent("restore-r1-logs.gz").path
                        )
                    )
                    #expect(try await Self.phase(client, Backup.resource, "long") == "Completed")
                    #expect(FileManager.default.fileExists(atPath: bucket.appendingPathComponent("backups/long").path))
                    // A successful deletion removes its requests.
                    try await waitUntil("no DeleteBackupRequest left") {
                        try await client.list(DeleteBackupRequest.resource, namespace: "velero").items.isEmpty
                    }
                }
            }
        }
    }

    @Test func aDeletionOnAReadOnlyLocationIsRefusedWithVelerosMessage() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await ServerControllersTests.prepare(client, bucket: folder.appendingPathComponent("bucket"))
                let readOnly = folder.appendingPathComponent("read-only")
                try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
                var spec = BackupStorageLocation.Spec(
                    provider: "filesystem",
                    objectStorage: .init(bucket: readOnly.path)
                )
                spec.accessMode = "ReadOnly"
                let location = BackupStorageLocation(metadata: ObjectMeta(name: "ro", namespace: "velero"), spec: spec)
                _ = try await client.create(BackupStorageLocation.resource, try ServerControllersTests.object(location))
                var backup = Backup(metadata: ObjectMeta(name: "kept", namespace: "velero"))
                backup.spec.storageLocation = "ro"
                backup.status = BackupStatus(phase: BackupPhase.completed)
                _ = try await client.create(Backup.resource, try ServerControllersTests.object(backup))
                try await Self.withControllers(client, clock: ManualClock()) {
                    let request = DeleteBackupRequest(
                        metadata: ObjectMeta(name: "kept-request", namespace: "velero"),
                        spec: .init(backupName: "kept")
                    )
                    _ = try await client.create(
                        DeleteBackupRequest.resource,
                        try ServerControllersTests.object(request)
                    )
                    try await waitUntil("request Processed") {
                        try await Self.phase(client, DeleteBackupRequest.resource, "kept-request") == "Processed"
                    }
                    let processed = try await client.get(
                        DeleteBackupRequest.resource,
                        namespace: "velero",
                        name: "kept-request"
                    )
                    #expect(
                        processed["status"]?["errors"]?.arrayValue?.compactMap(\.stringValue) == [
                            "cannot delete backup because backup storage location ro is currently in read-only mode"
                        ]
                    )
                    #expect(try await Self.phase(client, Backup.resource, "kept") == "Completed")
                }
            }
        }
    }

    @Test func backupsOfTheLocationAreSyncedIntoTheClusterAndOrphansLeave() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                let bucket = folder.appendingPathComponent("bucket")
                try await ServerControllersTests.prepare(client, bucket: bucket)
                let clock = ManualClock()
                try await Self.withControllers(client, clock: clock) {
                    try await Self.backUp(client, "first")
                    try await client.delete(Backup.resource, namespace: "velero", name: "first")
                    #expect(try await !Self.exists(client, Backup.resource, "first"))
                    // A pod volume backup the location recorded for it, as another cluster's server wrote it.
                    let recorded = """
                        [{"apiVersion":"velero.io/v1","kind":"PodVolumeBackup","metadata":{"name":"first-pvb",\
                        "namespace":"elsewhere","labels":{"velero.io/backup-name":"first","velero.io/backup-uid":"old"},\
                        "ownerReferences":[{"apiVersion":"velero.io/v1","kind":"Backup","name":"first","uid":"old"}]},\
                        "spec":{"node":"n1","pod":{"kind":"Pod","namespace":"app","name":"web"},"volume":"data",\
                        "backupStorageLocation":"theirs","repoIdentifier":"x","uploaderType":"restic"},\
                        "status":{"phase":"Completed","snapshotID":"abc"}}]
                        """
                    try Data(try GzipCompressor.compress(Array(recorded.utf8))).write(
                        to: bucket.appendingPathComponent("backups/first/first-podvolumebackups.json.gz")
                    )
                    clock.advance(by: .seconds(61))
                    try await waitUntil("backup first synced back") {
                        try await Self.exists(client, Backup.resource, "first")
                    }
                    let synced = try await client.get(Backup.resource, namespace: "velero", name: "first")
                    #expect(synced.labels[VeleroLabels.storageLocation] == "default")
                    #expect(synced["spec"]?["storageLocation"]?.stringValue == "default")
                    #expect(synced["status"]?["phase"]?.stringValue == "Completed")
                    // The Backup is created first, then the PodVolumeBackups it owns.
                    try await waitUntil("its pod volume backup synced") {
                        try await Self.exists(client, PodVolumeBackup.resource, "first-pvb")
                    }
                    let pvb = try await client.get(PodVolumeBackup.resource, namespace: "velero", name: "first-pvb")
                    #expect(pvb["spec"]?["backupStorageLocation"]?.stringValue == "default")
                    #expect(pvb.labels[VeleroLabels.backupUID] == synced.uid)
                    #expect(pvb.ownerReferences.first?.uid == synced.uid)
                    #expect(pvb["status"]?["snapshotID"]?.stringValue == "abc")
                    let location = try await client.get(
                        BackupStorageLocation.resource,
                        namespace: "velero",
                        name: "default"
                    )
                    #expect(location["status"]?["lastSyncedTime"]?.stringValue != nil)

                    try FileManager.default.removeItem(at: bucket.appendingPathComponent("backups/first"))
                    clock.advance(by: .seconds(61))
                    try await waitUntil("backup first gone from the cluster") {
                        try await !Self.exists(client, Backup.resource, "first")
                    }
                }
            }
        }
    }

    @Test func locationsAreValidatedAvailableOrUnavailableWithTheReason() async throws {
        try await withTemporaryDirectory { folder in
            try await withSandbox { _, client in
                try await ServerControllersTests.prepare(client, bucket: folder.appendingPathComponent("bucket"))
                // A folder that cannot exist: its parent is a file.
                let file = folder.appendingPathComponent("a-file")
                try Data("x".utf8).write(to: file)
                let spec = BackupStorageLocation.Spec(
                    provider: "filesystem",
                    objectStorage: .init(bucket: file.appendingPathComponent("bucket").path)
                )
                let bad = BackupStorageLocation(metadata: ObjectMeta(name: "bad", namespace: "velero"), spec: spec)
                _ = try await client.create(BackupStorageLocation.resource, try ServerControllersTests.object(bad))
                let clock = ManualClock()
                try await Self.withControllers(client, clock: clock) {
                    try await waitUntil("location bad Unavailable") {
                        try await Self.phase(client, BackupStorageLocation.resource, "bad") == "Unavailable"
                    }
                    try await waitUntil("location default Available") {
                        try await Self.phase(client, BackupStorageLocation.resource, "default") == "Available"
                    }
                    let failed = try await client.get(BackupStorageLocation.resource, namespace: "velero", name: "bad")
                    let message = failed["status"]?["message"]?.stringValue ?? ""
                    #expect(message.hasPrefix("BackupStorageLocation \"bad\" is unavailable: "), "\(message)")
                    let first = failed["status"]?["lastValidationTime"]?.stringValue
                    #expect(first != nil)
                    let good = try await client.get(
                        BackupStorageLocation.resource,
                        namespace: "velero",
                        name: "default"
                    )
                    #expect(good["status"]?["message"] == nil)

                    // The folder's parent becomes a folder: the next validation, a frequency later, finds it usable.
                    try FileManager.default.removeItem(at: file)
                    try FileManager.default.createDirectory(at: file, withIntermediateDirectories: true)
                    clock.advance(by: .seconds(61))
                    try await waitUntil("location bad Available") {
                        try await Self.phase(client, BackupStorageLocation.resource, "bad") == "Available"
                    }
                }
            }
        }
    }
}
