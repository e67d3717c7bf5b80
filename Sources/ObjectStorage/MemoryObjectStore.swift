import Crypto
public import NIOCore
import NIOFoundationCompat
import Synchronization

import struct Foundation.Date

/// An object store in memory, for tests and throw-away work.
///
/// Objects live in a dictionary behind a `Mutex`; listing sorts keys by their UTF-8 bytes as S3 does.
/// Copies of a `MemoryObjectStore` share the same objects.
///
/// ```swift
/// let store = MemoryObjectStore()
/// try await store.putData("a/b", bytes: Array("hello".utf8))
/// ```
public struct MemoryObjectStore: ObjectStore {
    struct Stored: Sendable {
        var bytes: ByteBuffer
        var info: ObjectInfo
    }

    private final class Storage: Sendable {
        let objects = Mutex<[String: Stored]>([:])
    }

    private let storage = Storage()
    /// Listing page size (small pages exercise callers' paging).
    public var pageSize: Int

    public init(pageSize: Int = 1000) {
        self.pageSize = max(1, pageSize)
    }

    /// The number of objects stored.
    public var count: Int { storage.objects.withLock { $0.count } }

    public func put(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    )
        async throws
    {
        try ObjectKey.validate(key)
        let stored = try await Self.collect(key, body: body, length: length)
        storage.objects.withLock { $0[key] = stored }
    }

    public func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        try ObjectKey.validate(key)
        if storage.objects.withLock({ $0[key] != nil }) { return false }
        let stored = try await Self.collect(key, body: body, length: length)
        return storage.objects.withLock { objects in
            if objects[key] != nil { return false }
            objects[key] = stored
            return true
        }
    }

    public func get(_ key: String) async throws -> ObjectBody {
        try ObjectKey.validate(key)
        guard let stored = storage.objects.withLock({ $0[key] }) else {
            throw ObjectStoreError(
                code: .notFound,
                message: "object \(ObjectKey.quoted(key)) not found in memory store"
            )
        }
        return ObjectBody(stored.bytes)
    }

    public func get(_ key: String, range: Range<Int>) async throws -> ObjectBody {
        var bytes = try await get(key).collect(upTo: .max)
        let lower = min(max(0, range.lowerBound), bytes.readableBytes)
        let upper = min(max(lower, range.upperBound), bytes.readableBytes)
        bytes.moveReaderIndex(forwardBy: lower)
        return ObjectBody(bytes.getSlice(at: bytes.readerIndex, length: upper - lower) ?? ByteBuffer())
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        try ObjectKey.validate(key)
        return storage.objects.withLock { $0[key]?.info }
    }

    public func list(prefix: String, delimiter: String?) -> ObjectListing {
        let storage = self.storage
        let pageSize = self.pageSize
        return ObjectListing { token in
            try ObjectKey.validatePrefix(prefix)
            let infos = storage.objects.withLock { objects in
                objects.values.lazy.map(\.info).filter { $0.key.utf8.starts(with: prefix.utf8) }
            }
            let entries = ListingRollup.list(Array(infos), prefix: prefix, delimiter: delimiter)
            return ListingPager.page(entries, after: token, size: pageSize)
        }
    }

    public func delete(_ key: String) async throws {
        try ObjectKey.validate(key)
        _ = storage.objects.withLock { $0.removeValue(forKey: key) }
    }

    private static func collect(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Stored {
        var bytes = ByteBuffer()
        for try await var chunk in body { bytes.writeBuffer(&chunk) }
        if let length, length != bytes.readableBytes {
            throw ObjectStoreError(
                code: .corrupt,
                message:
                    "object \(ObjectKey.quoted(key)): body has \(bytes.readableBytes) bytes, declared length \(length)"
            )
        }
        let digest = Insecure.MD5.hash(data: bytes.readableBytesView)
        let etag = "\"" + Hex.encode(digest) + "\""
        let info = ObjectInfo(key: key, size: bytes.readableBytes, lastModified: Date(), etag: etag)
        return Stored(bytes: bytes, info: info)
    }
}
