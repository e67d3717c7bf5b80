import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A streaming GET that resumes with a `Range` request when the connection breaks mid-body.
enum S3Download {
    /// Starts a GET of the whole object, or of `range` (clamped to the object; empty past its end).
    static func start(store: S3ObjectStore, key: String, range: Range<Int>? = nil) async throws -> ObjectBody {
        var headers: [(String, String)] = []
        if let range {
            let last = range.upperBound == Int.max ? "" : "\(range.upperBound - 1)"
            headers.append(("range", "bytes=\(range.lowerBound)-\(last)"))
        }
        let response: HTTPClientResponse
        do {
            response = try await store.open(S3Request(method: .GET, key: key, headers: headers))
        } catch let error as ObjectStoreError where range != nil && error.message.contains("HTTP 416") {
            return ObjectBody(ByteBuffer())  // the range starts past the end of the object
        }
        let length = response.headers.first(name: "content-length").flatMap { Int($0) }
        let start = response.status == .partialContent ? (range?.lowerBound ?? 0) : 0
        let reader = Reader(
            store: store,
            key: key,
            etag: response.headers.first(name: "etag"),
            length: length,
            start: start,
            iterator: response.body.makeAsyncIterator()
        )
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

    // @unchecked Sendable: an ObjectBody is iterated once, by one consumer, one `next()` at a time, so the
    // mutable state below is never touched concurrently.
    final class Reader: @unchecked Sendable {
        let store: S3ObjectStore
        let key: String
        let etag: String?
        /// Bytes expected in this body.
        let length: Int?
        /// Object offset of the first byte of this body.
        let start: Int
        var iterator: HTTPClientResponse.Body.AsyncIterator
        /// Bytes of this body delivered so far.
        var offset = 0
        var resumes = 0

        init(
            store: S3ObjectStore,
            key: String,
            etag: String?,
            length: Int?,
            start: Int,
            iterator: HTTPClientResponse.Body.AsyncIterator
        ) {
            self.store = store
            self.key = key
            self.etag = etag
            self.length = length
            self.start = start
            self.iterator = iterator
        }

        func next() async throws -> ByteBuffer? {
            while true {
                do {
                    if let chunk = try await iterator.next() {
                        offset += chunk.readableBytes
                        return chunk
                    }
                    if let length, offset < length {
                        throw ObjectStoreError(
                            code: .unavailable,
                            message: "GET \(ObjectKey.quoted(key)) ended after \(offset) of \(length) bytes"
                        )
                    }
                    return nil
                } catch {
                    let mapped = store.mapTransportError(error, request: S3Request(method: .GET, key: key))
                    let policy = store.configuration.retry
                    resumes += 1
                    guard resumes < policy.maxAttempts, policy.shouldRetry(mapped), let length, offset < length else {
                        throw mapped
                    }
                    try await policy.clock.sleep(for: policy.delay(retry: resumes))
                    var headers = [("range", "bytes=\(start + offset)-\(start + length - 1)")]
                    if let etag { headers.append(("if-match", etag)) }
                    let response = try await store.open(S3Request(method: .GET, key: key, headers: headers))
                    guard response.status == .partialContent else {
                        throw ObjectStoreError(
                            code: .corrupt,
                            message:
                                "resuming GET \(ObjectKey.quoted(key)) at byte \(start + offset) got HTTP \(response.status.code), not 206"
                        )
                    }
                    iterator = response.body.makeAsyncIterator()
                }
            }
        }
    }
}
