public import NIOCore

public import struct Foundation.Date

/// A flat key/value store of immutable-ish objects: a folder, an S3 bucket, or memory.
///
/// Keys are `/`-separated relative paths (`backups/b1/b1.tar.gz`). A store never interprets
/// them beyond listing by prefix and delimiter. Conveniences (whole-object reads and writes,
/// recursive listing) live in `ObjectStore+Conveniences.swift`; cross-cutting behaviour such
/// as retries is added by decorators that conform to this same protocol.
///
/// Every backend passes the same conformance suite (`ObjectStorageTesting`).
public protocol ObjectStore: Sendable {
    /// Stores `body` under `key`, replacing any existing object atomically: readers see the
    /// old object or the new one, never a partial one.
    /// - Parameters:
    ///   - key: the object key.
    ///   - body: the object's bytes as a stream of buffers.
    ///   - length: the total length when known up front (lets backends choose single-part uploads).
    func put(_ key: String, body: some AsyncSequence<ByteBuffer, any Error> & Sendable, length: Int?) async throws

    /// Streams the object stored under `key`.
    /// - Throws: `ObjectStoreError` with code `.notFound` when there is no such object.
    func get(_ key: String) async throws -> ObjectBody

    /// Metadata of the object under `key`, or `nil` when there is none.
    func head(_ key: String) async throws -> ObjectInfo?

    /// Lists keys under `prefix`. With a `delimiter` (usually `/`), keys that contain the
    /// delimiter after the prefix are rolled up into `commonPrefixes`, as in S3.
    /// Results are sorted by key, across pages.
    func list(prefix: String, delimiter: String?) -> ObjectListing

    /// Deletes the object under `key`. Deleting a missing key is not an error.
    func delete(_ key: String) async throws

    /// Streams the bytes of `range` (byte offsets) of the object under `key`.
    ///
    /// The range is clamped to the object: a range past the end yields the bytes up to the end, or none.
    /// The default implementation streams the whole object and drops what is outside the range;
    /// the filesystem, memory and S3 backends read only the range (`pread`, slicing, `Range:` header).
    /// - Throws: `ObjectStoreError` with code `.notFound` when there is no such object.
    func get(_ key: String, range: Range<Int>) async throws -> ObjectBody

    /// Stores `body` under `key` only when no object exists there yet.
    ///
    /// Backends that can do this atomically (memory, filesystem via `link(2)`, S3 via
    /// `If-None-Match: *`) do so; the default implementation checks with `head` first.
    /// - Returns: `true` when the object was written, `false` when one already existed (nothing written).
    func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    )
        async throws -> Bool

    /// Removes what interrupted writes left behind under `prefix` — the temporary files of a process killed
    /// while writing — last modified before `cutoff`; returns how many were removed.
    ///
    /// Call it only while no writer can be active under `prefix` (a repository's prune holds the exclusive
    /// lock). Readers never see such leftovers; this only reclaims their space. Backends whose interrupted
    /// writes leave nothing behind do nothing (the default).
    func removeAbandonedWrites(prefix: String, before cutoff: Date) async throws -> Int

    /// A URL from which anyone holding it can read the object at `key` for `validFor` (Velero's
    /// `CreateSignedURL`, what a DownloadRequest answers with): a presigned GET for S3, a `file://` URL for a
    /// folder. Decorators pass it on to their base.
    /// - Throws: `.invalidConfiguration` for backends that cannot hand out such URLs (the default).
    func downloadURL(_ key: String, validFor: Duration) async throws -> String
}

extension ObjectStore {
    public func removeAbandonedWrites(prefix: String, before cutoff: Date) async throws -> Int { 0 }

    public func downloadURL(_ key: String, validFor: Duration) async throws -> String {
        throw ObjectStoreError(
            code: .invalidConfiguration,
            message: "this object store cannot hand out download URLs (object \(ObjectKey.quoted(key)))"
        )
    }
}
