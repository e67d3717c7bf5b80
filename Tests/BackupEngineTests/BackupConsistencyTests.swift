import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import ObjectStorageTesting
import Testing
import VeleroAPI

@testable import BackupEngine

/// Crash consistency and refusals: a location never shows a half-written backup as a backup, and a
/// backup that cannot be written says why before writing anything.
struct BackupConsistencyTests {
    typealias T = BackupTestCluster

    /// A small namespace to back up.
    static func populate(_ client: KubeClient) async throws {
        try await client.createNamespaceAndWait("shop")
        for index in 0..<5 {
            _ = try await client.create(
                .configMaps,
                try T.object([
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": ["name": .string("cm-\(index)"), "namespace": "shop"],
                    "data": ["value": .string(String(repeating: "x", count: 100 * index))],
                ])
            )
        }
    }

    static var spec: BackupSpec {
        var spec = BackupSpec()
        spec.includedNamespaces = ["shop"]
        return spec
    }

    func run(_ client: KubeClient, _ store: some ObjectStore, name: String = "b1") async throws -> Backup {
        let runner = BackupRunner(
            client: client,
            store: BackupStore(store: store, prefix: "velero"),
            configuration: .init(recordInCluster: false),
            logger: .quiet
        )
        return try await runner.run(Backup(metadata: ObjectMeta(name: name), spec: Self.spec))
    }

    static let injected = ObjectStoreError(code: .unavailable, message: "injected failure")

    @Test func failedUploadsNeverLeaveAVisibleBackup() async throws {
        try await withSandbox { _, client in
            try await Self.populate(client)
            let memory = MemoryObjectStore()
            let checked = InvariantCheckingStore(base: memory)
            let faulty = FaultyObjectStore(base: checked)
            let backupStore = BackupStore(store: memory, prefix: "velero")
            let folder = "velero/backups/b1/"

            // 1. The tarball upload fails after its whole body was sent.
            faulty.addFault(.put, .init(error: Self.injected, keyPrefix: folder + "b1.tar.gz", afterBody: true))
            await #expect(throws: (any Error).self) { _ = try await run(client, faulty) }
            #expect(try await backupStore.backup(named: "b1") == nil)
            #expect(!(try await memory.exists(folder + "lifeboat-claim.json")), "a failed run releases its claim")

            // 2. The tarball upload breaks mid-stream, leaving a truncated object behind.
            checked.failNextTarballMidStream()
            await #expect(throws: (any Error).self) { _ = try await run(client, faulty) }
            #expect(try await backupStore.backup(named: "b1") == nil)
            #expect(!(try await memory.exists(folder + "lifeboat-claim.json")), "a failed run releases its claim")

            // 3. A side file fails: what was written is removed.
            faulty.addFault(.put, .init(error: Self.injected, keyPrefix: folder + "b1-results.gz"))
            let sideError = await #expect(throws: BackupEngineError.self) { _ = try await run(client, faulty) }
            #expect(sideError?.code == .storageUnavailable)
            #expect(try await memory.listAll(prefix: folder).isEmpty)

            // 4. velero-backup.json itself fails.
            faulty.addFault(.put, .init(error: Self.injected, keyPrefix: folder + "velero-backup.json"))
            await #expect(throws: BackupEngineError.self) { _ = try await run(client, faulty) }
            #expect(try await memory.listAll(prefix: folder).isEmpty)

            // 5. The same name then works, and reads back complete.
            let backup = try await run(client, faulty)
            #expect(backup.status?.phase == BackupPhase.completed)
            let archive = try await BackupArchive.read(from: backupStore, backup: "b1")
            #expect(archive.names("configmaps").count == 5)
            #expect(checked.violations.isEmpty, "\(checked.violations)")
        }
    }

    /// The checker used above does catch what it looks for.
    @Test func invariantCheckerSeesBrokenStates() async throws {
        let checked = InvariantCheckingStore(base: MemoryObjectStore())
        try await checked.putData("velero/backups/x/velero-backup.json", bytes: Array("{}".utf8))
        #expect(checked.violations.count == 1, "metadata without a tarball")
        try await checked.putData("velero/backups/y/y.tar.gz", bytes: Array("not gzip".utf8))
        _ = try await checked.putIfAbsent("velero/backups/y/velero-backup.json", bytes: Array("{}".utf8))
        #expect(checked.violations.count == 2, "metadata next to a broken tarball")
        try await checked.delete("velero/backups/y/y.tar.gz")
        #expect(checked.violations.count == 3, "tarball deleted under its metadata")
    }

    // Catches a cancellation that never arrives (the blocked upload sleeps 300 s); generous, because under the
    // parallel suite this test has waited up to a minute for its sandbox's default ServiceAccount.
    @Test(.timeLimit(.minutes(3)))
    func cancellingDuringTheUploadLeavesNoVisibleBackup() async throws {
        try await withSandbox { _, client in
            try await Self.populate(client)
            let memory = MemoryObjectStore()
            let checked = InvariantCheckingStore(base: memory)
            checked.blockTarballs()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await run(client, checked) }
                try await waitUntil("the tarball upload to start") { checked.tarballStarted }
                group.cancelAll()
                do {
                    try await group.next()
                    Issue.record("the cancelled backup returned normally")
                } catch {}
            }
            #expect(try await BackupStore(store: memory, prefix: "velero").backup(named: "b1") == nil)
            #expect(!(try await memory.exists("velero/backups/b1/velero-backup.json")))
            #expect(checked.violations.isEmpty, "\(checked.violations)")
        }
    }

    @Test func existingBackupNameIsRefused() async throws {
        try await withSandbox { _, client in
            try await Self.populate(client)
            let memory = MemoryObjectStore()
            _ = try await run(client, memory, name: "dup")
            let before = try await memory.listAll(prefix: "")
            let metadata = try await memory.getData("velero/backups/dup/velero-backup.json")
            let error = await #expect(throws: BackupEngineError.self) { _ = try await run(client, memory, name: "dup") }
            #expect(error?.code == .alreadyExists)
            #expect(error?.message.contains("dup") == true)
            #expect(try await memory.listAll(prefix: "").map(\.key) == before.map(\.key))
            #expect(try await memory.getData("velero/backups/dup/velero-backup.json") == metadata)
        }
    }

    /// Two runs of the same backup name at once (two CLI invocations): one wins, the other is refused, and
    /// the loser neither writes into the winner's files nor takes the winner's backup down with it.
    /// Both runs pass the "name is free" check together (the barrier holds them at the name claim).
    @Test(arguments: ["/lifeboat-claim.json", "/velero-backup.json"])
    func concurrentRunsWithTheSameNameKeepOneCompleteBackup(barrier: String) async throws {
        try await withSandbox { _, client in
            try await Self.populate(client)
            let memory = MemoryObjectStore()
            let checked = InvariantCheckingStore(base: memory)
            let store = MetadataBarrierStore(base: checked, timeout: .seconds(2), barrierSuffix: barrier)
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            return try await run(client, store, name: "same").status?.phase ?? "none"
                        } catch let error as BackupEngineError {
                            return "\(error.code)"
                        }
                    }
                }
                var outcomes: [String] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes.sorted()
            }
            #expect(outcomes == ["Completed", "alreadyExists"])
            let backupStore = BackupStore(store: memory, prefix: "velero")
            #expect(
                try await backupStore.backup(named: "same")?.status?.phase == BackupPhase.completed,
                "the winner's velero-backup.json must survive the loser"
            )
            if try await backupStore.backup(named: "same") != nil {
                let archive = try await BackupArchive.read(from: backupStore, backup: "same")
                #expect(archive.names("configmaps").count == 5)
            }
            #expect(
                store.writes(to: "velero/backups/same/same.tar.gz") == 1,
                "only the run holding the name writes its tarball"
            )
            #expect(!(try await memory.exists("velero/backups/same/lifeboat-claim.json")), "the claim is released")
            #expect(checked.violations.isEmpty, "\(checked.violations)")
        }
    }

    /// A run that died leaves its claim: the name is refused with a message saying how to clean up, and
    /// removing the leftovers frees it.
    @Test func leftoverClaimIsReportedAndCanBeCleared() async throws {
        try await withSandbox { _, client in
            try await Self.populate(client)
            let memory = MemoryObjectStore()
            let backupStore = BackupStore(store: memory, prefix: "velero")
            try await backupStore.claimBackupName("dead", run: "run-that-died")
            try await memory.putData("velero/backups/dead/dead.tar.gz", bytes: Array("partial".utf8))
            let partial = try await memory.getData("velero/backups/dead/dead.tar.gz")
            let error = await #expect(throws: BackupEngineError.self) {
                _ = try await run(client, memory, name: "dead")
            }
            #expect(error?.code == .alreadyExists)
            #expect(
                error?.message.contains("being written by another run since") == true,
                "\(String(describing: error))"
            )
            #expect(error?.message.contains("lifeboat backup delete dead") == true)
            #expect(
                try await memory.getData("velero/backups/dead/dead.tar.gz") == partial,
                "a refused run writes nothing"
            )
            #expect(try await backupStore.hasUnfinishedRun("dead"))
            #expect(try await backupStore.deleteBackup("dead") == 2)
            #expect(try await run(client, memory, name: "dead").status?.phase == BackupPhase.completed)
            #expect(!(try await backupStore.hasUnfinishedRun("dead")))
        }
    }

    @Test func unusableStorageLocationsFailBeforeWriting() async throws {
        try await withSandbox { _, client in
            try await client.createNamespaceAndWait("velero")
            let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "lifeboat-bsl-\(UUID().uuidString)"
            )
            defer { try? FileManager.default.removeItem(at: root) }
            let readOnlyBucket = root.appendingPathComponent("ro").path
            let junkBucket = root.appendingPathComponent("junk").path
            let goodBucket = root.appendingPathComponent("good").path
            for folder in [readOnlyBucket, goodBucket] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            try FileManager.default.createDirectory(
                atPath: junkBucket + "/velero/photos",
                withIntermediateDirectories: true
            )
            try Data("x".utf8).write(to: URL(fileURLWithPath: junkBucket + "/velero/photos/cat.jpg"))

            func createLocation(
                _ name: String,
                bucket: String,
                readOnly: Bool = false,
                isDefault: Bool = false
            ) async throws {
                var spec = BackupStorageLocation.Spec(
                    provider: "filesystem",
                    objectStorage: .init(bucket: bucket, prefix: "velero")
                )
                spec.accessMode = readOnly ? "ReadOnly" : "ReadWrite"
                spec.`default` = isDefault
                let location = BackupStorageLocation(metadata: ObjectMeta(name: name, namespace: "velero"), spec: spec)
                _ = try await client.create(StorageLocations.resource, try T.object(try JSONValue(encoding: location)))
            }
            let locations = StorageLocations(
                client: client,
                namespace: "velero",
                factory: ObjectStoreFactory(environment: [:]),
                logger: .quiet
            )

            let noDefault = await #expect(throws: BackupEngineError.self) { _ = try await locations.writableStore(nil) }
            #expect(noDefault?.code == .notFound)
            #expect(noDefault?.message.contains("no default") == true)

            try await createLocation("ro", bucket: readOnlyBucket, readOnly: true)
            try await createLocation("junk", bucket: junkBucket)
            try await createLocation("good", bucket: goodBucket, isDefault: true)

            let readOnly = await #expect(throws: BackupEngineError.self) { _ = try await locations.writableStore("ro") }
            #expect(readOnly?.code == .readOnlyLocation)
            #expect(readOnly?.message.contains("ro") == true && readOnly?.message.contains("read-only") == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: readOnlyBucket).isEmpty)

            let missing = await #expect(throws: BackupEngineError.self) {
                _ = try await locations.writableStore("nowhere")
            }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("nowhere") == true)

            let junk = await #expect(throws: BackupEngineError.self) { _ = try await locations.writableStore("junk") }
            #expect(junk?.code == .invalidLocation)
            #expect(junk?.message.contains("photos") == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: junkBucket + "/velero") == ["photos"])

            let (location, store) = try await locations.writableStore(nil)
            #expect(location.metadata.name == "good")
            try await client.createNamespaceAndWait("shop")
            let runner = BackupRunner(
                client: client,
                store: store,
                configuration: .init(recordInCluster: false),
                logger: .quiet
            )
            var spec = BackupSpec()
            spec.includedNamespaces = ["shop"]
            let backup = try await runner.run(Backup(metadata: ObjectMeta(name: "on-disk"), spec: spec))
            #expect(backup.status?.phase == BackupPhase.completed)
            #expect(FileManager.default.fileExists(atPath: goodBucket + "/velero/backups/on-disk/velero-backup.json"))
            #expect(FileManager.default.fileExists(atPath: goodBucket + "/velero/backups/on-disk/on-disk.tar.gz"))
        }
    }
}
