import Foundation
import ObjectStorage
import ObjectStorageTesting
import Testing

@testable import VolumeRepository

/// Interop with the real restic binary (Debian package `restic`, installed by `make test`).
@Suite(.serialized)
struct ResticInteropTests {
    let password = "interop-pw"

    @Test func lifeboatRepositoryPassesResticCheckAndRestore() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source)
        let repoPath = dir.sub("repo")
        let store = try FilesystemObjectStore(root: repoPath)
        let repo = try await Repository.initialize(
            store: store,
            password: password,
            configuration: .testing,
            logger: .test
        )
        let summary = try await repo.backup(BackupOptions(paths: [source], tags: ["t1"]), logger: .test)
        #expect(summary.isComplete)

        let check = try await Restic.run(["-r", repoPath, "check", "--read-data"], password: password)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("no errors were found"))
        let target = dir.sub("restic-restore")
        try await Restic.run(["-r", repoPath, "restore", "latest", "--target", target], password: password)
        try Fixture.expectSameTree(source, target + source)
        let snaps = try await Restic.run(["-r", repoPath, "snapshots", "--json"], password: password)
        #expect(snaps.output.contains(summary.snapshotID.hex))
        #expect(snaps.output.contains("\"t1\""))
    }

    @Test func resticRepositoryPassesLifeboatCheckAndRestore() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source)
        let repoPath = dir.sub("repo")
        try await Restic.run(["init", "--repository-version", "2", "-r", repoPath], password: password)
        try await Restic.run(["-r", repoPath, "backup", source], password: password)

        let store = try FilesystemObjectStore(root: repoPath)
        let repo = try await Repository.open(store: store, password: password, logger: .test)
        let report = try await repo.check(readData: true, logger: .test)
        #expect(report.isClean, "\(report.errors)")
        #expect(report.snapshots == 1)
        let target = dir.sub("lifeboat-restore")
        let restored = try await repo.restore(RestoreOptions(target: target), logger: .test)
        #expect(restored.isComplete, "\(restored.errors)")
        try Fixture.expectSameTree(source, target + source)
    }

    @Test func sameDataFromResticAndLifeboatDeduplicates() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source, bigFileSize: 5 * 1024 * 1024 + 12345, seed: 99)
        let repoPath = dir.sub("repo")
        try await Restic.run(["init", "--repository-version", "2", "-r", repoPath], password: password)
        try await Restic.run(["-r", repoPath, "backup", source], password: password)

        let store = try FilesystemObjectStore(root: repoPath)
        let repo = try await Repository.open(store: store, password: password, logger: .test)
        let summary = try await repo.backup(BackupOptions(paths: [source], force: true), logger: .test)
        #expect(summary.isComplete)
        #expect(summary.dataBlobs == 0, "chunk boundaries or blob IDs differ from restic's")
        #expect(summary.dataAdded == 0)
        // The source directory's tree matches restic's byte for byte (the levels above it hold /tmp, whose
        // metadata changes between the two runs).
        let snapshots = try await repo.snapshots()
        #expect(snapshots.count == 2)
        var subtrees: [BlobID] = []
        for entry in snapshots {
            var tree = entry.snapshot.tree
            for component in source.split(separator: "/") {
                let node = try #require(try await repo.loadTree(tree).node(named: Array(component.utf8)))
                tree = try #require(node.subtree)
            }
            subtrees.append(tree)
        }
        #expect(subtrees.count == 2 && subtrees[0] == subtrees[1], "tree JSON differs from restic's")

        let check = try await Restic.run(["-r", repoPath, "check", "--read-data"], password: password)
        #expect(check.status == 0, "\(check.output)")
    }

    @Test func s3RepositoryUnderAPrefixWorksWithRestic() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source, bigFileSize: 600_000)
        let moto = try await MotoServer.shared()
        let bucket = "vr-" + UUID().uuidString.lowercased().prefix(8)
        let store = try await moto.makeStore(bucket: String(bucket), logger: .test)
        let repo = try await Repository.initialize(
            store: store,
            prefix: "restic/ns1",
            password: password,
            configuration: .testing,
            logger: .test
        )
        _ = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        let url = "s3:\(moto.endpoint)/\(bucket)/restic/ns1"
        setenv("AWS_ACCESS_KEY_ID", MotoServer.accessKeyID, 1)
        setenv("AWS_SECRET_ACCESS_KEY", MotoServer.secretAccessKey, 1)
        let check = try await Restic.run(["-r", url, "check", "--read-data"], password: password)
        #expect(check.status == 0, "\(check.output)")
        try await Restic.run(["-r", url, "backup", source], password: password)
        let reopened = try await Repository.open(store: store, prefix: "restic/ns1", password: password, logger: .test)
        #expect(try await reopened.snapshots().count == 2)
        let report = try await reopened.check(readData: true, logger: .test)
        #expect(report.isClean, "\(report.errors)")
    }

    @Test func wrongPasswordForResticRepository() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let repoPath = dir.sub("repo")
        try await Restic.run(["init", "--repository-version", "2", "-r", repoPath], password: password)
        let store = try FilesystemObjectStore(root: repoPath)
        await #expect {
            _ = try await Repository.open(store: store, password: "nope", logger: .test)
        } throws: { ($0 as? RepositoryError)?.code == .wrongPassword }
    }
}
