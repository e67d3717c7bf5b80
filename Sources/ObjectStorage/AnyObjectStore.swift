public import NIOCore

public import struct Foundation.Date

/// A type-erased `ObjectStore`, for generic decorators over a store chosen at run time.
public struct AnyObjectStore: ObjectStore {
    public let base: any ObjectStore

    public init(_ base: any ObjectStore) {
        self.base = (base as? AnyObjectStore)?.base ?? base
    }

    public func put(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    )
        async throws
    {
        try await base.put(key, body: body, length: length)
    }

    public func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        try await base.putIfAbsent(key, body: body, length: length)
    }

    public func get(_ key: String) async throws -> ObjectBody { try await base.get(key) }
    public func get(_ key: String, range: Range<Int>) async throws -> ObjectBody {
        try await base.get(key, range: range)
    }

    public func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    public func list(prefix: String, delimiter: String?) -> ObjectListing {
        base.list(prefix: prefix, delimiter: delimiter)
    }
    public func delete(_ key: String) async throws { try await base.delete(key) }
    public func removeAbandonedWrites(prefix: String, before cutoff: Date) async throws -> Int {
        try await base.removeAbandonedWrites(prefix: prefix, before: cutoff)
    }

    public func downloadURL(_ key: String, validFor: Duration) async throws -> String {
        try await base.downloadURL(key, validFor: validFor)
    }
}
