public import Logging
public import NIOCore

public import struct Foundation.Date

/// A decorator that retries a store's failed operations with exponential backoff and jitter.
///
/// `get`, `head`, `delete` and every listing page are retried under `policy`. A `put` is retried only
/// when its body can be replayed: bodies of at most `Configuration.replayLimit` bytes are buffered and
/// re-sent; larger ones are streamed through in a single attempt (the S3 backend
/// retries each request and each multipart part itself, so large uploads still recover from faults).
/// A failure while a `get` body is being streamed is not retried here.
///
/// ```swift
/// let store = RetryingObjectStore(base: s3, logger: logger)
/// ```
public struct RetryingObjectStore<Base: ObjectStore>: ObjectStore {
    /// Settings of the retrying decorator.
    public struct Configuration: Sendable {
        public var policy: RetryPolicy
        /// The largest put body buffered so it can be re-sent.
        public var replayLimit: Int

        public init(policy: RetryPolicy = RetryPolicy(), replayLimit: Int = 16 * 1024 * 1024) {
            self.policy = policy
            self.replayLimit = replayLimit
        }
    }

    public let base: Base
    public let configuration: Configuration
    private let logger: Logger

    public init(base: Base, configuration: Configuration = .init(), logger: Logger) {
        self.base = base
        self.configuration = configuration
        self.logger = logger
    }

    private var policy: RetryPolicy { configuration.policy }

    /// Reads `body` up to `replayLimit` bytes: `.buffered` when it all fit (so it can be re-sent),
    /// otherwise `.streaming` with the bytes read so far followed by the rest of the body.
    private func prepare(
        _ body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws
        -> Prepared
    {
        if let length, length > configuration.replayLimit {
            return .streaming(ObjectBody(length: length, unfolding: IteratorBox(body.makeAsyncIterator()).next))
        }
        var iterator = body.makeAsyncIterator()
        var buffer = ByteBuffer()
        while buffer.readableBytes <= configuration.replayLimit {
            guard var chunk = try await iterator.next() else { return .buffered(buffer) }
            buffer.writeBuffer(&chunk)
        }
        return .streaming(ObjectBody(length: length, unfolding: IteratorBox(iterator, head: buffer).next))
    }

    private enum Prepared {
        case buffered(ByteBuffer)
        case streaming(ObjectBody)
    }

    public func put(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    )
        async throws
    {
        switch try await prepare(body, length: length) {
        case .streaming(let stream):
            try await base.put(key, body: stream, length: length)
        case .buffered(let buffer):
            try await policy.run("PUT \(key)", logger: logger) {
                try await base.put(key, body: ObjectBody(buffer), length: buffer.readableBytes)
            }
        }
    }

    public func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        let buffer: ByteBuffer
        switch try await prepare(body, length: length) {
        case .streaming(let stream):
            return try await base.putIfAbsent(key, body: stream, length: length)
        case .buffered(let buffered):
            buffer = buffered
        }
        var attempt = 0
        return try await policy.run("PUT-IF-ABSENT \(key)", logger: logger) {
            attempt += 1
            let written = try await base.putIfAbsent(key, body: ObjectBody(buffer), length: buffer.readableBytes)
            // A retried attempt may find the object its own failed attempt wrote.
            if !written && attempt > 1, let info = try await base.head(key), info.size == buffer.readableBytes {
                let existing = try await base.getData(key, maxBytes: buffer.readableBytes)
                if existing == buffer { return true }
            }
            return written
        }
    }

    public func get(_ key: String) async throws -> ObjectBody {
        try await policy.run("GET \(key)", logger: logger) { try await base.get(key) }
    }

    public func get(_ key: String, range: Range<Int>) async throws -> ObjectBody {
        try await policy.run("GET \(key) \(range)", logger: logger) { try await base.get(key, range: range) }
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        try await policy.run("HEAD \(key)", logger: logger) { try await base.head(key) }
    }

    public func list(prefix: String, delimiter: String?) -> ObjectListing {
        base.list(prefix: prefix, delimiter: delimiter).retrying(policy, logger: logger)
    }

    public func delete(_ key: String) async throws {
        try await policy.run("DELETE \(key)", logger: logger) { try await base.delete(key) }
    }

    public func removeAbandonedWrites(prefix: String, before cutoff: Date) async throws -> Int {
        try await base.removeAbandonedWrites(prefix: prefix, before: cutoff)
    }

    public func downloadURL(_ key: String, validFor: Duration) async throws -> String {
        try await base.downloadURL(key, validFor: validFor)
    }
}

/// Pulls from an async iterator on behalf of one consumer, after yielding an optional first buffer.
// @unchecked Sendable: used as the producer of exactly one ObjectBody, whose single consumer calls
// `next()` sequentially, so the iterator is never used concurrently.
final class IteratorBox<Iterator: AsyncIteratorProtocol>: @unchecked Sendable where Iterator.Element == ByteBuffer {
    private var iterator: Iterator
    private var head: ByteBuffer?

    init(_ iterator: Iterator, head: ByteBuffer? = nil) {
        self.iterator = iterator
        self.head = head
    }

    @Sendable func next() async throws -> ByteBuffer? {
        if let buffer = head {
            head = nil
            return buffer
        }
        return try await iterator.next()
    }
}
