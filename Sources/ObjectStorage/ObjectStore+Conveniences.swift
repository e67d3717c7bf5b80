public import NIOCore

// MARK: - Default implementations

extension ObjectStore {
    /// Default `putIfAbsent`: checks with `head`, then writes. Not atomic against concurrent writers;
    /// backends that can do better override it.
    public func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        if try await head(key) != nil { return false }
        try await put(key, body: body, length: length)
        return true
    }
}

extension ObjectStore {
    /// Default ranged read: streams the whole object and keeps only the bytes of `range`.
    public func get(_ key: String, range: Range<Int>) async throws -> ObjectBody {
        let body = try await get(key)
        let lower = max(0, range.lowerBound)
        let upper = body.length.map { min($0, range.upperBound) } ?? range.upperBound
        let length = max(0, upper - lower)
        let slicer = RangeSlicer(iterator: body.makeAsyncIterator(), lower: lower, upper: upper)
        return ObjectBody(length: body.length == nil ? nil : length, unfolding: slicer.next)
    }

    /// Reads `range` of the object under `key` into one buffer.
    public func getData(_ key: String, range: Range<Int>) async throws -> ByteBuffer {
        try await get(key, range: range).collect(upTo: max(0, range.count))
    }
}

/// Keeps the bytes of one range from a stream of buffers.
// @unchecked Sendable: produces exactly one ObjectBody whose single consumer calls `next()` sequentially.
final class RangeSlicer: @unchecked Sendable {
    private var iterator: ObjectBody.AsyncIterator
    private var offset = 0
    private let lower: Int
    private let upper: Int

    init(iterator: ObjectBody.AsyncIterator, lower: Int, upper: Int) {
        self.iterator = iterator
        self.lower = lower
        self.upper = upper
    }

    @Sendable func next() async throws -> ByteBuffer? {
        while offset < upper, var chunk = try await iterator.next() {
            let start = offset
            offset += chunk.readableBytes
            let from = max(lower, start) - start
            let to = min(upper, offset) - start
            guard to > from else { continue }
            chunk.moveReaderIndex(forwardBy: from)
            return chunk.readSlice(length: to - from)
        }
        return nil
    }
}

// MARK: - Whole-object conveniences

extension ObjectStore {
    /// The default limit of `getData`: 64 MiB.
    public static var defaultMaxDataBytes: Int { 64 << 20 }

    /// Stores `bytes` under `key`, replacing any existing object.
    public func putData(_ key: String, bytes: some Collection<UInt8> & Sendable) async throws {
        try await put(key, body: ObjectBody(bytes: bytes), length: bytes.count)
    }

    /// Stores `buffer`'s readable bytes under `key`, replacing any existing object.
    public func putData(_ key: String, bytes buffer: ByteBuffer) async throws {
        try await put(key, body: ObjectBody(buffer), length: buffer.readableBytes)
    }

    /// Stores `bytes` under `key` only if nothing is stored there yet.
    /// - Returns: `true` when written, `false` when an object already existed (it is left untouched).
    @discardableResult
    public func putIfAbsent(_ key: String, bytes: some Collection<UInt8> & Sendable) async throws -> Bool {
        try await putIfAbsent(key, body: ObjectBody(bytes: bytes), length: bytes.count)
    }

    /// Stores `buffer` under `key` only if nothing is stored there yet.
    /// - Returns: `true` when written, `false` when an object already existed (it is left untouched).
    @discardableResult
    public func putIfAbsent(_ key: String, bytes buffer: ByteBuffer) async throws -> Bool {
        try await putIfAbsent(key, body: ObjectBody(buffer), length: buffer.readableBytes)
    }

    /// Reads the whole object under `key` into one buffer.
    /// - Throws: `.notFound` when missing; `.corrupt` when larger than `maxBytes`.
    public func getData(_ key: String, maxBytes: Int = defaultMaxDataBytes) async throws -> ByteBuffer {
        try await get(key).collect(upTo: maxBytes)
    }

    /// Reads the whole object under `key`, or `nil` when there is none.
    public func getDataIfPresent(_ key: String, maxBytes: Int = defaultMaxDataBytes) async throws -> ByteBuffer? {
        do {
            return try await getData(key, maxBytes: maxBytes)
        } catch let error as ObjectStoreError where error.code == .notFound {
            return nil
        }
    }

    /// Whether an object exists under `key`.
    public func exists(_ key: String) async throws -> Bool {
        try await head(key) != nil
    }

    /// Every object under `prefix` (recursively, no delimiter), sorted by key.
    public func listAll(prefix: String) async throws -> [ObjectInfo] {
        var result: [ObjectInfo] = []
        for try await entry in list(prefix: prefix, delimiter: nil) {
            if case .object(let info) = entry { result.append(info) }
        }
        return result
    }

    /// The common prefixes directly under `prefix` with delimiter `/` (the "folders"), sorted.
    public func listPrefixes(prefix: String) async throws -> [String] {
        var result: [String] = []
        for try await entry in list(prefix: prefix, delimiter: "/") {
            if case .commonPrefix(let common) = entry { result.append(common) }
        }
        return result
    }

    /// Deletes every object under `prefix`.
    /// - Returns: the number of objects deleted.
    @discardableResult
    public func deleteAll(prefix: String) async throws -> Int {
        let keys = try await listAll(prefix: prefix).map(\.key)
        for key in keys { try await delete(key) }
        return keys.count
    }
}
