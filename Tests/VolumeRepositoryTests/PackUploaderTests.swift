import Foundation
import ObjectStorage
import ObjectStorageTesting
import Synchronization
import Testing

@testable import VolumeRepository

/// A backup's data packs are uploaded by a task of their own while the files go on being read.
struct PackUploaderTests {
    let password = "uploader password"

    /// A source of `files` files of `size` random bytes each.
    func makeSource(_ dir: TempDir, files: Int, size: Int) throws -> String {
        let source = dir.sub("src")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        var rng = SplitMix(seed: 11)
        for i in 0..<files {
            let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            try Data(bytes).write(to: URL(fileURLWithPath: source + "/f\(i)"))
        }
        return source
    }

    /// Many small packs go through the uploader: every one is uploaded and indexed before the snapshot.
    @Test func everyHandedOverPackIsUploadedBeforeTheSnapshot() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = try makeSource(dir, files: 40, size: 100_000)
        var configuration = Repository.Configuration.testing
        configuration.packSize = 150_000  // a pack every second file
        let store = MemoryObjectStore()
        let repo = try await Repository.initialize(
            store: store,
            password: password,
            configuration: configuration,
            logger: .test
        )
        let summary = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        #expect(summary.isComplete && summary.dataBlobs == 40)

        let dataPacks = try await store.listAll(prefix: "data/")
        #expect(dataPacks.count >= 20, "\(dataPacks.count) data packs")
        let reopened = try await Repository.open(store: store, password: password, logger: .test)
        try await reopened.expectCleanAndRestores(source, into: dir.sub("restore"))
    }

    /// An upload that fails ends the backup with that error (no hang, no snapshot); the repository stays
    /// consistent and the next backup succeeds.
    @Test func aFailedUploadFailsTheBackupAndTheNextOneSucceeds() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = try makeSource(dir, files: 30, size: 100_000)
        var configuration = Repository.Configuration.testing
        configuration.packSize = 150_000
        let faulty = FaultyObjectStore(base: MemoryObjectStore())
        let repo = try await Repository.initialize(
            store: faulty,
            password: password,
            configuration: configuration,
            logger: .test
        )
        faulty.addFault(
            .put,
            .init(
                error: ObjectStoreError(code: .unavailable, message: "injected: disk full"),
                times: 1,
                skip: 3,
                keyPrefix: "data/"
            )
        )

        await #expect(throws: (any Error).self) {
            _ = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        }
        #expect(try await repo.snapshots().isEmpty)

        let again = try await Repository.open(
            store: faulty,
            password: password,
            configuration: configuration,
            logger: .test
        )
        let summary = try await again.backup(BackupOptions(paths: [source]), logger: .test)
        #expect(summary.isComplete)
        #expect(try await again.snapshots().count == 1)
        try await again.expectCleanAndRestores(source, into: dir.sub("restore"))
    }
}
