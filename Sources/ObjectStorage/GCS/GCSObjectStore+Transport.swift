import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

import struct Foundation.Data
import class Foundation.JSONSerialization

/// A fully read (small) GCS response.
struct GCSResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer
}

extension GCSObjectStore {
    /// The largest non-object response body read (metadata, list pages, errors).
    static var maxResponseBytes: Int { 16 * 1024 * 1024 }

    /// `{endpoint}/storage/v1/b/{bucket}`.
    var bucketURL: String { configuration.endpoint + "/storage/v1/b/" + GCSPath.encode(configuration.bucket) }

    /// `{endpoint}/storage/v1/b/{bucket}/o/{name}`, the name encoded as one path segment.
    func objectURL(_ key: String) -> String { bucketURL + "/o/" + GCSPath.encode(key) }

    /// `{endpoint}/upload/storage/v1/b/{bucket}/o`.
    var uploadURL: String {
        configuration.endpoint + "/upload/storage/v1/b/" + GCSPath.encode(configuration.bucket) + "/o"
    }

    /// Sends `request` with retries and reads the whole (small) answer.
    func send(_ request: GCSRequest) async throws -> GCSResponse {
        try await configuration.retry.run(request.summary, logger: logger) { try await sendOnce(request) }
    }

    /// One attempt of `send`.
    func sendOnce(_ request: GCSRequest) async throws -> GCSResponse {
        let response = try await execute(request)
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            throw mapTransportError(error, what: request.summary)
        }
        return GCSResponse(status: response.status, headers: response.headers, body: body)
    }

    /// Sends `request` with retries and returns the response with its body still to be streamed.
    func open(_ request: GCSRequest) async throws -> HTTPClientResponse {
        try await configuration.retry.run(request.summary, logger: logger) { try await execute(request) }
    }

    /// One attempt: authorizes, sends, and turns a failure status into an `ObjectStoreError`.
    func execute(_ request: GCSRequest) async throws -> HTTPClientResponse {
        var http = HTTPClientRequest(url: request.fullURL)
        http.method = request.method
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        if let tokens { http.headers.add(name: "authorization", value: "Bearer \(try await tokens.token())") }
        if let body = request.body {
            http.body = .bytes(body)
        } else if request.method == .POST || request.method == .PUT {
            http.body = .bytes(ByteBuffer())
        }
        let limit = request.body == nil ? configuration.responseTimeout : configuration.requestTimeout
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(http, deadline: .now() + TimeAmount(limit), logger: logger)
        } catch {
            throw mapTransportError(error, what: request.summary)
        }
        if (200..<300).contains(response.status.code) || request.accepted.contains(response.status.code) {
            return response
        }
        let body = (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
        throw mapStatus(response.status, body: body, request: request)
    }

    /// Maps an HTTP failure status to an error that names the bucket, endpoint and key.
    func mapStatus(_ status: HTTPResponseStatus, body: ByteBuffer, request: GCSRequest) -> ObjectStoreError {
        let detail = GCSJSON.errorMessage(body).map { ": \($0)" } ?? ""
        let what = request.key.map { "object \(ObjectKey.quoted($0)) in \(bucketDescription)" } ?? bucketDescription
        let summary = "\(request.method) \(what) failed with HTTP \(status.code)\(detail)"
        switch status.code {
        case 404 where request.key != nil && !detail.lowercased().contains("bucket"):
            return notFound(request.key ?? "")
        case 404:
            return ObjectStoreError(
                code: .invalidConfiguration,
                message: "GCS bucket \"\(configuration.bucket)\" does not exist at \(configuration.endpoint)\(detail)"
            )
        case 401, 403:
            return ObjectStoreError(code: .accessDenied, message: "access denied: \(summary)")
        case 408, 429, 500...599:
            return ObjectStoreError(code: .unavailable, message: summary)
        case 412:
            return ObjectStoreError(code: .alreadyExists, message: "precondition failed: \(summary)")
        default:
            return ObjectStoreError(code: .http, message: summary)
        }
    }

    /// Maps a failure to reach the endpoint: TLS problems are configuration errors, a refused connection or an
    /// unknown host `.unreachable`, the rest retryable.
    func mapTransportError(_ error: any Error, what: String) -> any Error {
        if error is CancellationError || error is ObjectStoreError { return error }
        if error is NIOSSLError || error is BoringSSLError {
            return ObjectStoreError(
                code: .invalidConfiguration,
                message: "TLS with GCS endpoint \(configuration.endpoint) failed",
                cause: error
            )
        }
        if let reason = S3ObjectStore.unreachableReason(error) {
            return ObjectStoreError(code: .unreachable, message: "GCS endpoint \(configuration.endpoint): \(reason)")
        }
        return ObjectStoreError(
            code: .unavailable,
            message: "cannot reach GCS endpoint \(configuration.endpoint) (\(what))",
            cause: error
        )
    }
}

/// The JSON API's answers: object resources, listings, errors.
enum GCSJSON {
    static func object(_ body: ByteBuffer, what: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        else {
            throw ObjectStoreError(code: .http, message: "\(what): the answer is not a JSON object")
        }
        return object
    }

    /// An object resource (`name`, `size` as a string, `updated` RFC 3339, `etag`/`md5Hash`) as `ObjectInfo`.
    static func objectInfo(_ resource: [String: Any], what: String) throws -> ObjectInfo {
        guard let name = resource["name"] as? String else {
            throw ObjectStoreError(code: .http, message: "\(what): object resource without a name")
        }
        let size: Int
        if let text = resource["size"] as? String, let value = Int(text) {
            size = value
        } else if let value = resource["size"] as? Int {
            size = value
        } else {
            throw ObjectStoreError(code: .http, message: "\(what): object \(ObjectKey.quoted(name)) has no size")
        }
        return ObjectInfo(
            key: name,
            size: size,
            lastModified: (resource["updated"] as? String).flatMap(UTCDateFormat.parseISO8601),
            etag: (resource["etag"] as? String) ?? (resource["md5Hash"] as? String)
        )
    }

    static func objectInfo(_ body: ByteBuffer, what: String) throws -> ObjectInfo {
        try objectInfo(object(body, what: what), what: what)
    }

    /// A listing page: `items`, `prefixes` and `nextPageToken`.
    static func listing(_ body: ByteBuffer, what: String) throws -> ObjectListing.Page {
        let page = try object(body, what: what)
        var entries: [ObjectListEntry] = []
        for item in page["items"] as? [[String: Any]] ?? [] {
            entries.append(.object(try objectInfo(item, what: what)))
        }
        for prefix in page["prefixes"] as? [String] ?? [] { entries.append(.commonPrefix(prefix)) }
        let next = (page["nextPageToken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return (entries, next)
    }

    /// `error.message` of a JSON error answer, or the text of a short non-JSON one.
    static func errorMessage(_ body: ByteBuffer) -> String? {
        guard body.readableBytes > 0 else { return nil }
        if let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let error = object["error"] as? [String: Any], let message = error["message"] as? String
        {
            return message
        }
        let text = String(buffer: body).trimming(" \n\r\t")
        return text.isEmpty ? nil : String(text.prefix(200))
    }
}
