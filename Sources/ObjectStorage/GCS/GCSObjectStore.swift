public import AsyncHTTPClient
public import Logging
public import NIOCore
import NIOHTTP1

public import struct Foundation.Date

/// An object store in a Google Cloud Storage bucket, over the JSON API: the `gcp` provider (`velero.io/gcp`).
///
/// Requests carry an OAuth 2.0 access token obtained with the service account's key (`GCSTokenSource`), or
/// nothing for an emulator. Every request is retried under `configuration.retry` on 429, 5xx, timeouts and
/// connection resets. Objects up to `chunkSize` go in one `uploadType=media` request; larger ones (and empty
/// ones) as a resumable upload, one chunk in memory at a time. `putIfAbsent` sends `ifGenerationMatch=0`.
///
/// ```swift
/// let config = try GCSConfiguration(bucket: "velero", bslConfig: ["kmsKeyName": key])
/// let store = try GCSObjectStore(configuration: config, credentials: .serviceAccount(key), logger: logger)
/// ```
public struct GCSObjectStore: ObjectStore {
    public let configuration: GCSConfiguration
    let credentials: GCSCredentials
    let tokens: GCSTokenSource?
    let httpClient: HTTPClient
    let logger: Logger
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - httpClient: the client to send with (default: the S3 store's client: no redirects, no decompression).
    ///   - now: the time JWTs and signed URLs are issued at.
    /// - Throws: `.invalidConfiguration` for an endpoint that is not an http(s) URL.
    public init(
        configuration: GCSConfiguration,
        credentials: GCSCredentials,
        httpClient: HTTPClient = S3ObjectStore.defaultHTTPClient,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        guard configuration.endpoint.hasPrefix("http://") || configuration.endpoint.hasPrefix("https://") else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "GCS endpoint \"\(configuration.endpoint)\" is not an http(s) URL"
            )
        }
        self.configuration = configuration
        self.credentials = credentials
        self.httpClient = httpClient
        self.logger = logger
        self.now = now
        switch credentials {
        case .anonymous:
            self.tokens = nil
        case .serviceAccount(let key):
            self.tokens = GCSTokenSource(
                key: key,
                httpClient: httpClient,
                retry: configuration.retry,
                logger: logger,
                now: now
            )
        }
    }

    /// `bucket at endpoint`, for messages.
    var bucketDescription: String { "GCS bucket \"\(configuration.bucket)\" at \(configuration.endpoint)" }

    // MARK: - ObjectStore

    public func put(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    )
        async throws
    {
        try ObjectKey.validate(key)
        _ = try await upload(key, body: body, ifAbsent: false)
    }

    /// Checks with `head` first (a cheap answer for the common case), then uploads with `ifGenerationMatch=0`,
    /// so a writer that wins the race in between is not overwritten.
    public func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        try ObjectKey.validate(key)
        if try await head(key) != nil { return false }
        return try await upload(key, body: body, ifAbsent: true)
    }

    public func get(_ key: String) async throws -> ObjectBody {
        try ObjectKey.validate(key)
        return try await download(key, range: nil)
    }

    public func get(_ key: String, range: Range<Int>) async throws -> ObjectBody {
        try ObjectKey.validate(key)
        let lower = max(0, range.lowerBound)
        guard range.upperBound > lower else {
            guard try await head(key) != nil else { throw notFound(key) }
            return ObjectBody(ByteBuffer())
        }
        return try await download(key, range: lower..<range.upperBound)
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        try ObjectKey.validate(key)
        do {
            let response = try await send(GCSRequest(method: .GET, url: objectURL(key), key: key))
            return try GCSJSON.objectInfo(response.body, what: "metadata of \(ObjectKey.quoted(key))")
        } catch let error as ObjectStoreError where error.code == .notFound {
            return nil
        }
    }

    public func list(prefix: String, delimiter: String?) -> ObjectListing {
        let store = self
        return ObjectListing { token in
            try ObjectKey.validatePrefix(prefix)
            return try await store.listPage(prefix: prefix, delimiter: delimiter, token: token)
        }
    }

    public func delete(_ key: String) async throws {
        try ObjectKey.validate(key)
        do {
            _ = try await send(GCSRequest(method: .DELETE, url: objectURL(key), key: key))
        } catch let error as ObjectStoreError where error.code == .notFound {
            return
        }
    }

    // MARK: - Reading

    /// One listing page, objects and prefixes merged in key order.
    func listPage(prefix: String, delimiter: String?, token: String?) async throws -> ObjectListing.Page {
        var query = [("maxResults", "\(configuration.listPageSize)")]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter, !delimiter.isEmpty { query.append(("delimiter", delimiter)) }
        if let token { query.append(("pageToken", token)) }
        let response = try await send(GCSRequest(method: .GET, url: bucketURL + "/o", query: query))
        var (entries, next) = try GCSJSON.listing(response.body, what: "listing of \(bucketDescription)")
        entries.sort { ObjectKey.precedes(ListingPager.name(of: $0), ListingPager.name(of: $1)) }
        return (entries, next)
    }

    /// A streaming GET of the object's media, or of `range` (clamped; empty past the end).
    private func download(_ key: String, range: Range<Int>?) async throws -> ObjectBody {
        var headers: [(String, String)] = []
        if let range {
            let last = range.upperBound == Int.max ? "" : "\(range.upperBound - 1)"
            headers.append(("range", "bytes=\(range.lowerBound)-\(last)"))
        }
        let request = GCSRequest(
            method: .GET,
            url: objectURL(key),
            key: key,
            query: [("alt", "media")],
            headers: headers
        )
        let response: HTTPClientResponse
        do {
            response = try await open(request)
        } catch let error as ObjectStoreError where range != nil && error.message.contains("HTTP 416") {
            return ObjectBody(ByteBuffer())  // the range starts past the end of the object
        }
        let length = response.headers.first(name: "content-length").flatMap { Int($0) }
        let reader = GCSBodyReader(store: self, key: key, length: length, iterator: response.body.makeAsyncIterator())
        if response.status != .partialContent, let range, range != 0..<Int.max {
            // The server ignored the Range header: slice the full body.
            let slicer = RangeSlicer(
                iterator: ObjectBody(length: length) { try await reader.next() }.makeAsyncIterator(),
                lower: range.lowerBound,
                upper: range.upperBound
            )
            let sliced = length.map { max(0, min($0, range.upperBound) - range.lowerBound) }
            return ObjectBody(length: sliced, unfolding: slicer.next)
        }
        return ObjectBody(length: length) { try await reader.next() }
    }

    func notFound(_ key: String) -> ObjectStoreError {
        ObjectStoreError(code: .notFound, message: "object \(ObjectKey.quoted(key)) not found in \(bucketDescription)")
    }
}

/// Streams a media body, failing when it ends short of its `content-length`.
// @unchecked Sendable: an ObjectBody is iterated once, by one consumer, one `next()` at a time, so the
// mutable state below is never touched concurrently.
final class GCSBodyReader: @unchecked Sendable {
    let store: GCSObjectStore
    let key: String
    let length: Int?
    var iterator: HTTPClientResponse.Body.AsyncIterator
    var offset = 0

    init(store: GCSObjectStore, key: String, length: Int?, iterator: HTTPClientResponse.Body.AsyncIterator) {
        self.store = store
        self.key = key
        self.length = length
        self.iterator = iterator
    }

    func next() async throws -> ByteBuffer? {
        do {
            if let chunk = try await iterator.next() {
                offset += chunk.readableBytes
                return chunk
            }
        } catch {
            throw store.mapTransportError(error, what: "GET \(ObjectKey.quoted(key))")
        }
        if let length, offset < length {
            throw ObjectStoreError(
                code: .unavailable,
                message:
                    "GET \(ObjectKey.quoted(key)) from \(store.bucketDescription) ended after \(offset) of \(length) bytes"
            )
        }
        return nil
    }
}
