import Foundation
import ObjectStorage
import Synchronization
import Testing
@testable import VolumeRepository
#if canImport(Glibc)
import Glibc
#endif

/// Files that change between the directory scan (lstat) and the read: the archiver is handed the node built
/// from the scan, and the file is changed before it reads — the window a busy volume opens on every backup.
struct ArchiverRaceTests {
    let password = "race password"

    func archiver() async throws -> Archiver {
        let repo = try await Repository.initialize(
            store: MemoryObjectStore(), password: password, configuration: .testing, logger: .test)
        return Archiver(repo: repo, excludes: [], progress: nil, force: false, logger: .test)
    }

    /// The node the directory scan would have made for `path`.
    func scanned(_ archiver: Archiver, _ path: String) throws -> Node {
        let bytes = Array(path.utf8)
        let st = try LocalFS.lstat(bytes).get()
        return archiver.makeNode(name: Array((path as NSString).lastPathComponent.utf8), path: bytes, st: st)
    }

    func errors(_ archiver: Archiver) -> [ItemError] { archiver.stats.withLock { $0.errors } }

    @Test func fileThatVanishedIsReportedAndSkipped() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.sub("gone.txt")
        try Data("soon gone\n".utf8).write(to: URL(fileURLWithPath: path))
        let archiver = try await archiver()
        let node = try scanned(archiver, path)
        try FileManager.default.removeItem(atPath: path)

        let stored = try await archiver.archiveFile(path: Array(path.utf8), node: node, parent: nil)
        #expect(stored == nil)
        #expect(errors(archiver).map(\.path) == [path])
        #expect(errors(archiver).first?.message.hasPrefix("open: ") == true, "\(errors(archiver))")
    }

    @Test(.timeLimit(.minutes(3))) func fileReplacedByAFIFOIsRefusedWithoutBlocking() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.sub("pipe")
        try Data("a file for now\n".utf8).write(to: URL(fileURLWithPath: path))
        let archiver = try await archiver()
        let node = try scanned(archiver, path)
        try FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o644) == 0)

        // Without O_NONBLOCK the open would wait for a writer forever.
        let stored = try await archiver.archiveFile(path: Array(path.utf8), node: node, parent: nil)
        #expect(stored == nil)
        #expect(errors(archiver).map(\.message) == ["file changed type, refusing to archive"])
    }

    @Test func fileRewrittenAfterTheScanIsStoredAsRead() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.sub("busy.log")
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: path))
        let archiver = try await archiver()
        let node = try scanned(archiver, path)
        #expect(node.size == 100)
        let rewritten = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(rewritten).write(to: URL(fileURLWithPath: path))
        let later = Date(timeIntervalSince1970: 1_900_000_000)
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: path)

        let stored = try #require(try await archiver.archiveFile(path: Array(path.utf8), node: node, parent: nil))
        #expect(errors(archiver).isEmpty)
        // Content, size and metadata all describe what was read, never the scan's stale view.
        #expect(stored.size == 5000)
        #expect(stored.content == [BlobID.hash(rewritten)])
        #expect(stored.mtime.sameInstant(.local(seconds: 1_900_000_000, nanoseconds: 0)))
        #expect(stored.inode == UInt64(try LocalFS.lstat(Array(path.utf8)).get().st_ino))
    }
}
