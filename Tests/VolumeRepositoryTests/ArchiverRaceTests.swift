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

    func archiver(afterRead: (@Sendable ([UInt8], Int) -> Void)? = nil) async throws -> Archiver {
        let repo = try await Repository.initialize(
            store: MemoryObjectStore(),
            password: password,
            configuration: .testing,
            logger: .test
        )
        return Archiver(repo: repo, excludes: [], progress: nil, force: false, logger: .test, afterRead: afterRead)
    }

    /// `count` bytes that the chunker cuts into several chunks (no long runs).
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// The file's content as stored: its data blobs, loaded back and joined.
    func storedContent(_ archiver: Archiver, _ node: Node) async throws -> [UInt8] {
        try await archiver.repo.flush()
        var bytes: [UInt8] = []
        for id in node.content ?? [] { bytes += try await archiver.repo.loadBlob(.data, id: id) }
        return bytes
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

    @Test func fileThatGrowsWhileItIsReadIsStoredAsReadAndRereadNextTime() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.sub("growing.log")
        let head = Self.noise(3 * Archiver.readSize, seed: 1)
        let tail = Self.noise(2 * Archiver.readSize + 123, seed: 2)
        try Data(head).write(to: URL(fileURLWithPath: path))
        // An old mtime: the append below moves it to now, whatever the filesystem's timestamp granularity.
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_800_000_000)],
            ofItemAtPath: path
        )
        let appended = Mutex(false)
        // After the first read (1 MiB of 3), the writer appends: the read goes on past the size the scan saw.
        let archiver = try await archiver { _, bytesRead in
            guard bytesRead == Archiver.readSize, !appended.withLock({ $0 }) else { return }
            appended.withLock { $0 = true }
            guard let handle = FileHandle(forWritingAtPath: path) else { return }
            handle.seekToEndOfFile()
            handle.write(Data(tail))
            handle.closeFile()
        }
        let node = try scanned(archiver, path)
        #expect(node.size == UInt64(head.count))

        let stored = try #require(try await archiver.archiveFile(path: Array(path.utf8), node: node, parent: nil))
        #expect(appended.withLock { $0 })
        #expect(errors(archiver).isEmpty)
        // Size and content are what was read, and agree with each other.
        #expect(stored.size == UInt64(head.count + tail.count))
        #expect(try await storedContent(archiver, stored) == head + tail)
        #expect((stored.content ?? []).count > 1)
        // The metadata is the open file's, from before the append: the next backup sees a newer mtime or size
        // and reads the file again instead of trusting this snapshot's content.
        #expect(stored.mtime.sameInstant(.local(seconds: 1_800_000_000, nanoseconds: 0)))
        let now = try scanned(archiver, path)
        #expect(now.size == stored.size)
        #expect(!now.mtime.sameInstant(stored.mtime))
        let again = try #require(try await archiver.archiveFile(path: Array(path.utf8), node: now, parent: stored))
        let counts: [Int] = archiver.stats.withLock { [$0.filesNew, $0.filesChanged, $0.filesUnmodified] }
        #expect(counts == [1, 1, 0])
        #expect(again.content == stored.content)
        #expect(again.mtime.sameInstant(now.mtime))
    }

    @Test func fileTruncatedWhileItIsReadIsStoredAsRead() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.sub("shrinking.db")
        let original = Self.noise(4 * Archiver.readSize, seed: 3)
        try Data(original).write(to: URL(fileURLWithPath: path))
        let cut = Archiver.readSize + 4096
        let archiver = try await archiver { _, bytesRead in
            guard bytesRead == Archiver.readSize else { return }
            _ = truncate(path, off_t(cut))
        }
        let node = try scanned(archiver, path)
        let stored = try #require(try await archiver.archiveFile(path: Array(path.utf8), node: node, parent: nil))
        #expect(errors(archiver).isEmpty)
        #expect(stored.size == UInt64(cut))
        #expect(try await storedContent(archiver, stored) == Array(original.prefix(cut)))
    }
}
