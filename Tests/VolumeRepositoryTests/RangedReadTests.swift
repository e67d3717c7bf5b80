import Foundation
import NIOCore
import ObjectStorage
import Synchronization
import Testing

@testable import VolumeRepository

/// An `ObjectStore` decorator that records which reads reach the store.
final class ReadCountingStore: ObjectStore {
    let base: MemoryObjectStore
    /// Keys read whole, and the ranges read, per key.
    let reads = Mutex<(whole: [String], ranges: [(key: String, range: Range<Int>)])>(([], []))

    init(base: MemoryObjectStore) { self.base = base }

    func put(_ key: String, body: some AsyncSequence<ByteBuffer, any Error> & Sendable, length: Int?) async throws {
        try await base.put(key, body: body, length: length)
    }

    func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        try await base.putIfAbsent(key, body: body, length: length)
    }

    func get(_ key: String) async throws -> ObjectBody {
        reads.withLock { $0.whole.append(key) }
        return try await base.get(key)
    }

    func get(_ key: String, range: Range<Int>) async throws -> ObjectBody {
        reads.withLock { $0.ranges.append((key, range)) }
        return try await base.get(key, range: range)
    }

    func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String, delimiter: String?) -> ObjectListing { base.list(prefix: prefix, delimiter: delimiter) }
    func delete(_ key: String) async throws { try await base.delete(key) }
}

struct RangedReadTests {
    func entry(_ offset: Int, _ length: Int) -> PackEntry {
        PackEntry(
            type: .data,
            id: BlobID.hash([UInt8(offset & 0xff), UInt8(length & 0xff)]),
            offset: offset,
            length: length,
            uncompressedLength: nil
        )
    }

    @Test func neighbouringBlobsAreReadInOneRange() {
        let entries = [entry(500, 100), entry(0, 100), entry(100, 50), entry(5000, 10)]
        let parts = Repository.coalesce(entries, maxGap: 1000)
        #expect(parts.map(\.range) == [0..<600, 5000..<5010])
        #expect(parts[0].entries.map(\.offset) == [0, 100, 500])
        let tight = Repository.coalesce(entries, maxGap: 0)
        #expect(tight.map(\.range) == [0..<150, 500..<600, 5000..<5010])
        // A size cap splits long runs; a blob larger than the cap is read alone.
        let capped = Repository.coalesce(
            [entry(0, 100), entry(100, 100), entry(200, 100), entry(300, 500)],
            maxGap: 10,
            maxSize: 250
        )
        #expect(capped.map(\.range) == [0..<200, 200..<300, 300..<800])
    }

    @Test func partialRestoreReadsOnlyTheNeededRangesOfAPack() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let source = dir.sub("src")
        try Fixture.makeTree(at: source, bigFileSize: 6 * 1024 * 1024, seed: 5)
        let store = ReadCountingStore(base: MemoryObjectStore())
        var configuration = Repository.Configuration.testing
        configuration.packSize = 64 * 1024 * 1024  // everything in one data pack
        configuration.compression = false
        let repo = try await Repository.initialize(
            store: store,
            password: "pw",
            configuration: configuration,
            logger: .test
        )
        _ = try await repo.backup(BackupOptions(paths: [source]), logger: .test)
        let dataPacks = try await repo.list(.data)
        let packSizes = Dictionary(dataPacks.map { ($0.id, $0.size) }, uniquingKeysWith: { a, _ in a })

        let opened = try await Repository.open(
            store: store,
            password: "pw",
            configuration: configuration,
            logger: .test
        )
        store.reads.withLock { $0 = ([], []) }
        let target = dir.sub("restore")
        let summary = try await opened.restore(RestoreOptions(target: target, includes: ["hello.txt"]), logger: .test)
        #expect(summary.isComplete, "\(summary.errors)")
        #expect(try String(contentsOfFile: target + source + "/docs/hello.txt", encoding: .utf8) == "hello lifeboat\n")
        #expect(!FileManager.default.fileExists(atPath: target + source + "/big.bin"))

        let reads = store.reads.withLock { $0 }
        let dataKeys = Set(dataPacks.map { opened.objectKey(.data, $0.id) })
        // File contents come from ranged reads only, and far less than the pack holding them is read.
        #expect(reads.whole.filter { dataKeys.contains($0) }.count <= 1)  // at most the tree pack, read whole
        let contentReads = reads.ranges.filter { dataKeys.contains($0.key) }
        #expect(!contentReads.isEmpty)
        for read in contentReads {
            let size = packSizes.first { opened.objectKey(.data, $0.key) == read.key }?.value ?? 0
            #expect(read.range.count < size / 10, "read \(read.range) of a \(size)-byte pack")
        }
    }
}
