public import NIOCore

public import struct Foundation.Date

/// A view of another store in which every key is under `prefix`.
///
/// `PrefixedObjectStore(base: s3, prefix: "velero/restic/ns1")` stores key `config` as
/// `velero/restic/ns1/config`, and lists and returns keys without the prefix. Used for a
/// BackupStorageLocation's prefix and for per-namespace restic repositories.
public struct PrefixedObjectStore<Base: ObjectStore>: ObjectStore {
    public let base: Base
    /// The prefix, with exactly one trailing `/` (empty for no prefix).
    public let prefix: String

    /// - Parameter prefix: a key prefix; leading and trailing `/` are trimmed.
    /// - Throws: `.invalidKey` when the prefix has empty, `.` or `..` segments or a NUL.
    public init(base: Base, prefix: String) throws {
        var trimmed = Substring(prefix)
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if !trimmed.isEmpty { try ObjectKey.validate(String(trimmed)) }
        self.base = base
        self.prefix = trimmed.isEmpty ? "" : trimmed + "/"
    }

    private func full(_ key: String) throws -> String {
        try ObjectKey.validate(key)
        return prefix + key
    }

    public func put(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    )
        async throws
    {
        try await base.put(full(key), body: body, length: length)
    }

    public func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        try await base.putIfAbsent(full(key), body: body, length: length)
    }

    public func get(_ key: String) async throws -> ObjectBody {
        try await base.get(full(key))
    }

    public func get(_ key: String, range: Range<Int>) async throws -> ObjectBody {
        try await base.get(full(key), range: range)
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        guard var info = try await base.head(full(key)) else { return nil }
        info.key = key
        return info
    }

    public func list(prefix listPrefix: String, delimiter: String?) -> ObjectListing {
        let drop = prefix.utf8.count
        return base.list(prefix: prefix + listPrefix, delimiter: delimiter).compactMap { entry in
            switch entry {
            case .object(var info):
                info.key = String(decoding: info.key.utf8.dropFirst(drop), as: UTF8.self)
                return .object(info)
            case .commonPrefix(let common):
                return .commonPrefix(String(decoding: common.utf8.dropFirst(drop), as: UTF8.self))
            }
        }
    }

    public func delete(_ key: String) async throws {
        try await base.delete(full(key))
    }

    public func removeAbandonedWrites(prefix removePrefix: String, before cutoff: Date) async throws -> Int {
        try await base.removeAbandonedWrites(prefix: prefix + removePrefix, before: cutoff)
    }

    public func downloadURL(_ key: String, validFor: Duration) async throws -> String {
        try await base.downloadURL(try full(key), validFor: validFor)
    }
}
