public import NIOCore
public import ObjectStorage
import Testing

import struct Foundation.UUID

/// One conformance suite that every `ObjectStore` must pass: each backend, and each decorator (retrying,
/// prefixed, fault-injecting, a target's own wrapper) over a backend.
///
/// Each check works under its own random key prefix, so all checks can share one store (one S3
/// bucket, one folder). Run them from a parameterized test:
///
/// ```swift
/// @Test(arguments: ObjectStoreConformance.Check.allCases)
/// func memory(_ check: ObjectStoreConformance.Check) async throws {
///     try await ObjectStoreConformance(store: MemoryObjectStore()).run(check)
/// }
/// ```
public struct ObjectStoreConformance: Sendable {
    /// The individual checks.
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        case emptyRoundTrip, smallRoundTrip, largeMultiChunkRoundTrip, unknownLengthRoundTrip
        case overwrite, head, missingGetIsNotFound, deleteMissingIsFine, deleteRemoves
        case listPrefixAndDelimiter, listMoreThanOneThousandKeys, specialCharacterKeys
        case invalidKeysRejected, concurrentPutsOfDifferentKeys, putIfAbsent, conveniences, rangedReads
        public var description: String { rawValue }
    }

    /// The store under test.
    public let store: any ObjectStore
    /// Size of the large object (default 3 MiB + 17 bytes: several chunks everywhere).
    public var largeSize: Int
    /// Number of keys of the >1,000-key listing check.
    public var manyKeys: Int

    /// A suite for `store`; the defaults make every check meaningful on every backend.
    public init(store: any ObjectStore, largeSize: Int = 3 * 1024 * 1024 + 17, manyKeys: Int = 1_050) {
        self.store = store
        self.largeSize = largeSize
        self.manyKeys = manyKeys
    }

    /// Runs every check.
    public func runAll() async throws {
        for check in Check.allCases { try await run(check) }
    }

    /// Runs one check under a fresh prefix, and removes what it wrote.
    public func run(_ check: Check) async throws {
        let base = "conformance-\(UUID().uuidString.lowercased())/"
        switch check {
        case .emptyRoundTrip: try await roundTrip(base + "empty", Self.pattern(0), chunk: 1)
        case .smallRoundTrip: try await roundTrip(base + "small.json", Self.pattern(1000), chunk: 1000)
        case .largeMultiChunkRoundTrip: try await roundTrip(base + "large.bin", Self.pattern(largeSize), chunk: 65_537)
        case .unknownLengthRoundTrip:
            try await roundTrip(base + "unknown", Self.pattern(300_001), chunk: 7_001, declare: false)
        case .overwrite: try await overwrite(base)
        case .head: try await head(base)
        case .missingGetIsNotFound: try await missingGet(base)
        case .deleteMissingIsFine: try await store.delete(base + "never-written")
        case .deleteRemoves: try await deleteRemoves(base)
        case .listPrefixAndDelimiter: try await listPrefixAndDelimiter(base)
        case .listMoreThanOneThousandKeys: try await listMany(base)
        case .specialCharacterKeys: try await specialKeys(base)
        case .invalidKeysRejected: try await invalidKeys()
        case .concurrentPutsOfDifferentKeys: try await concurrentPuts(base)
        case .putIfAbsent: try await putIfAbsent(base)
        case .conveniences: try await conveniences(base)
        case .rangedReads: try await rangedReads(base)
        }
        _ = try? await store.deleteAll(prefix: base)
    }

    // MARK: - Data helpers

    /// Deterministic, non-repeating-looking bytes of length `count`.
    public static func pattern(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < count {
                // One 64-bit LCG step gives 8 bytes (fast enough in debug builds for tens of MiB).
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                var word = (state ^ (state >> 29)).littleEndian
                let n = min(8, count - offset)
                withUnsafeBytes(of: &word) {
                    raw.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: n)
                }
                offset += n
            }
        }
        return bytes
    }

    /// `bytes` as a stream of `chunk`-sized buffers.
    public static func chunked(_ bytes: [UInt8], chunk: Int) -> AsyncThrowingStream<ByteBuffer, any Error> {
        AsyncThrowingStream { continuation in
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + max(1, chunk))
                continuation.yield(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
            }
            continuation.finish()
        }
    }

    private func read(_ key: String) async throws -> [UInt8] {
        var out: [UInt8] = []
        for try await chunk in try await store.get(key) { out.append(contentsOf: chunk.readableBytesView) }
        return out
    }

    private func keys(_ prefix: String, delimiter: String? = nil) async throws -> [String] {
        var out: [String] = []
        for try await entry in store.list(prefix: prefix, delimiter: delimiter) {
            switch entry {
            case .object(let info): out.append(info.key)
            case .commonPrefix(let common): out.append("prefix:" + common)
            }
        }
        return out
    }

    // MARK: - Checks

    private func roundTrip(_ key: String, _ bytes: [UInt8], chunk: Int, declare: Bool = true) async throws {
        try await store.put(key, body: Self.chunked(bytes, chunk: chunk), length: declare ? bytes.count : nil)
        let body = try await store.get(key)
        if let length = body.length { #expect(length == bytes.count, "get(\(key)).length") }
        var back: [UInt8] = []
        for try await part in body { back.append(contentsOf: part.readableBytesView) }
        #expect(back.count == bytes.count, "size read back for \(key)")
        #expect(back == bytes, "bytes read back for \(key)")
        let info = try #require(try await store.head(key), "head(\(key)) after put")
        #expect(info.size == bytes.count)
        #expect(info.key == key)
    }

    private func overwrite(_ base: String) async throws {
        let key = base + "obj"
        try await store.putData(key, bytes: Self.pattern(5000, seed: 1))
        let second = Self.pattern(1234, seed: 2)
        try await store.putData(key, bytes: second)
        #expect(try await read(key) == second)
        #expect(try await store.head(key)?.size == second.count)
        #expect(try await keys(base) == [key], "overwriting must not leave a second object")
    }

    private func head(_ base: String) async throws {
        #expect(try await store.head(base + "missing") == nil)
        try await store.putData(base + "h", bytes: Self.pattern(321))
        let info = try #require(try await store.head(base + "h"))
        #expect(info.size == 321)
        #expect(info.key == base + "h")
        // A "folder" is not an object.
        try await store.putData(base + "dir/child", bytes: [1])
        #expect(try await store.head(base + "dir") == nil)
    }

    private func missingGet(_ base: String) async throws {
        do {
            _ = try await read(base + "missing")
            Issue.record("get of a missing key must throw .notFound")
        } catch let error as ObjectStoreError {
            #expect(error.code == .notFound, "\(error)")
        }
    }

    private func deleteRemoves(_ base: String) async throws {
        try await store.putData(base + "a/b", bytes: [1, 2, 3])
        try await store.putData(base + "a/c", bytes: [4])
        try await store.delete(base + "a/b")
        #expect(try await store.head(base + "a/b") == nil)
        #expect(try await keys(base) == [base + "a/c"])
        try await store.delete(base + "a/c")
        #expect(try await keys(base).isEmpty)
        #expect(try await keys(base, delimiter: "/").isEmpty, "no empty 'folder' remains after deletes")
    }

    private func listPrefixAndDelimiter(_ base: String) async throws {
        let names = [
            "backups/b1/b1.tar.gz", "backups/b1/velero-backup.json", "backups/b2/velero-backup.json",
            "backups-x", "backupsz/q", "restores/r1/log", "top",
        ]
        for name in names { try await store.putData(base + name, bytes: Array(name.utf8)) }
        #expect(try await keys(base) == names.map { base + $0 }.sorted { ObjectKey.precedes($0, $1) })
        #expect(
            try await keys(base, delimiter: "/") == [
                base + "backups-x", "prefix:\(base)backups/", "prefix:\(base)backupsz/", "prefix:\(base)restores/",
                base + "top",
            ],
            "'-' (0x2D) sorts before '/' (0x2F), as in S3"
        )
        #expect(
            try await keys(base + "backups/", delimiter: "/") == [
                "prefix:\(base)backups/b1/", "prefix:\(base)backups/b2/",
            ]
        )
        #expect(
            try await keys(base + "backups/b1/", delimiter: "/") == [
                base + "backups/b1/b1.tar.gz", base + "backups/b1/velero-backup.json",
            ]
        )
        #expect(
            try await keys(base + "backups", delimiter: "/") == [
                base + "backups-x", "prefix:\(base)backups/", "prefix:\(base)backupsz/",
            ]
        )
        #expect(try await keys(base + "backups/b", delimiter: nil).count == 3)
        #expect(try await keys(base + "nothing/", delimiter: "/").isEmpty)
        let info = try await store.listAll(prefix: base + "top")
        #expect(info.map(\.size) == [3])
    }

    private func listMany(_ base: String) async throws {
        let names = (0..<manyKeys).map { format4($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            for _ in 0..<min(16, names.count) {
                let name = names[next]
                next += 1
                group.addTask { try await store.putData(base + "many/" + name, bytes: [UInt8(name.utf8.count)]) }
            }
            while try await group.next() != nil, next < names.count {
                let name = names[next]
                next += 1
                group.addTask { try await store.putData(base + "many/" + name, bytes: [UInt8(name.utf8.count)]) }
            }
        }
        let listed = try await keys(base + "many/")
        #expect(listed.count == names.count)
        #expect(listed == names.map { base + "many/" + $0 }.sorted { ObjectKey.precedes($0, $1) })
        let rolled = try await keys(base, delimiter: "/")
        #expect(rolled == ["prefix:\(base)many/"])
    }

    private func specialKeys(_ base: String) async throws {
        let names = [
            "with space/file name.txt", "plus+sign", "percent%20literal", "unicode-é-日本-🚀", "tilde~and=eq&amp",
            "quote'\"", "star*colon:semi;comma,", "a%2Fb", "brackets[1](2){3}", "hash#question?",
        ]
        for name in names {
            let key = base + name
            try await store.putData(key, bytes: Array(name.utf8))
            #expect(try await read(key) == Array(name.utf8), "round trip of key \(name)")
            #expect(try await store.head(key)?.size == name.utf8.count)
        }
        #expect(try await keys(base) == names.map { base + $0 }.sorted { ObjectKey.precedes($0, $1) })
        for name in names { try await store.delete(base + name) }
        #expect(try await keys(base).isEmpty)
    }

    private func invalidKeys() async throws {
        for key in ["", "/abs", "a/../b", "..", "a/./b", "a//b", "trailing/", "nul\u{0}byte"] {
            do {
                try await store.putData(key, bytes: [1])
                Issue.record("put of invalid key \(key.debugDescription) must throw .invalidKey")
            } catch let error as ObjectStoreError {
                #expect(error.code == .invalidKey, "\(key.debugDescription): \(error)")
            }
            do {
                _ = try await store.get(key)
                Issue.record("get of invalid key \(key.debugDescription) must throw .invalidKey")
            } catch let error as ObjectStoreError {
                #expect(error.code == .invalidKey, "\(key.debugDescription): \(error)")
            }
        }
    }

    private func concurrentPuts(_ base: String) async throws {
        let count = 24
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                group.addTask {
                    try await store.put(
                        base + "c/\(i)",
                        body: Self.chunked(Self.pattern(10_000 + i, seed: UInt64(i)), chunk: 4096),
                        length: 10_000 + i
                    )
                }
            }
            try await group.waitForAll()
        }
        for i in 0..<count {
            #expect(try await read(base + "c/\(i)") == Self.pattern(10_000 + i, seed: UInt64(i)))
        }
    }

    private func putIfAbsent(_ base: String) async throws {
        let key = base + "once"
        #expect(try await store.putIfAbsent(key, bytes: [1, 2, 3]) == true)
        #expect(try await store.putIfAbsent(key, bytes: [9, 9]) == false)
        #expect(try await read(key) == [1, 2, 3], "putIfAbsent must not overwrite")
    }

    private func rangedReads(_ base: String) async throws {
        let small = Self.pattern(1000, seed: 3)
        try await store.putData(base + "small", bytes: small)
        let cases: [(Range<Int>, Range<Int>)] = [
            (0..<10, 0..<10), (990..<1000, 990..<1000), (500..<1500, 500..<1000), (1000..<1010, 1000..<1000),
            (2000..<3000, 1000..<1000), (5..<5, 5..<5), (0..<Int.max, 0..<1000),
        ]
        for (asked, expected) in cases {
            var back: [UInt8] = []
            for try await chunk in try await store.get(base + "small", range: asked) {
                back.append(contentsOf: chunk.readableBytesView)
            }
            #expect(back == Array(small[expected]), "range \(asked) of a 1,000-byte object")
        }
        let large = Self.pattern(largeSize, seed: 4)
        try await store.put(base + "large", body: Self.chunked(large, chunk: 100_003), length: large.count)
        let range = 123_457..<(largeSize - 77)
        let body = try await store.get(base + "large", range: range)
        if let length = body.length { #expect(length == range.count) }
        var back: [UInt8] = []
        for try await chunk in body { back.append(contentsOf: chunk.readableBytesView) }
        #expect(back == Array(large[range]), "a range across chunks of a large object")
        #expect(
            Array(try await store.getData(base + "large", range: 10..<20).readableBytesView) == Array(large[10..<20])
        )
        do {
            _ = try await store.get(base + "missing", range: 0..<10)
            Issue.record("ranged get of a missing key must throw .notFound")
        } catch let error as ObjectStoreError {
            #expect(error.code == .notFound, "\(error)")
        }
    }

    private func conveniences(_ base: String) async throws {
        try await store.putData(base + "x/1", bytes: ByteBuffer(bytes: [7, 8]))
        try await store.putData(base + "x/2", bytes: [9])
        #expect(try await store.exists(base + "x/1"))
        #expect(try await !store.exists(base + "x/3"))
        #expect(Array(try await store.getData(base + "x/1").readableBytesView) == [7, 8])
        #expect(try await store.getDataIfPresent(base + "x/3") == nil)
        do {
            _ = try await store.getData(base + "x/1", maxBytes: 1)
            Issue.record("getData over maxBytes must throw")
        } catch let error as ObjectStoreError {
            #expect(error.code == .corrupt)
        }
        #expect(try await store.listPrefixes(prefix: base) == [base + "x/"])
        #expect(try await store.deleteAll(prefix: base + "x/") == 2)
        #expect(try await store.listAll(prefix: base).isEmpty)
    }
}

/// Zero-padded four-digit decimal (`0042`).
private func format4(_ value: Int) -> String {
    let digits = "\(value)"
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
