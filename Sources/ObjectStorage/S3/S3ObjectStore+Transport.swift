import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

import struct Foundation.Date

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fully read (small) S3 response.
struct S3Response: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer

    var text: Substring { Substring(String(buffer: body)) }
}

extension S3ObjectStore {
    /// The largest non-object response body read (list pages, errors, multipart answers).
    static var maxResponseBytes: Int { 16 * 1024 * 1024 }

    /// Sends `request` with retries and reads the whole (small) answer.
    func send(_ request: S3Request, policy: RetryPolicy? = nil, timeout: Duration? = nil) async throws -> S3Response {
        try await (policy ?? configuration.retry).run("\(request.method) \(request.key ?? "/")", logger: logger) {
            let response = try await execute(request, timeout: timeout)
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: Self.maxResponseBytes)
            } catch {
                throw mapTransportError(error, request: request)
            }
            return S3Response(status: response.status, headers: response.headers, body: body)
        }
    }

    /// Sends `request` with retries and returns the response with its body still to be streamed.
    func open(_ request: S3Request) async throws -> HTTPClientResponse {
        try await configuration.retry.run("\(request.method) \(request.key ?? "/")", logger: logger) {
            try await execute(request)
        }
    }

    /// One attempt: signs, sends, and turns a failure status into an `ObjectStoreError`.
    /// The URL and the headers (signature included) of `request` as sent at `date`.
    func signed(_ request: S3Request, date: Date) -> (url: String, headers: [(String, String)]) {
        let (url, rawPath, host) = address(key: request.key)
        let query = SigV4Signer.canonicalQuery(request.query)
        let payloadHash = request.body.map(S3Checksum.sha256Hex) ?? SigV4Signer.emptyPayloadHash
        var headers = request.headers + [("host", host), ("x-amz-content-sha256", payloadHash)]
        headers += signer.signedHeaders(
            method: request.method.rawValue,
            path: rawPath,
            query: request.query,
            headers: headers,
            payloadHash: payloadHash,
            date: date
        )
        return (query.isEmpty ? url : url + "?" + query, headers)
    }

    func execute(_ request: S3Request, timeout: Duration? = nil) async throws -> HTTPClientResponse {
        let (url, headers) = signed(request, date: Date())
        var http = HTTPClientRequest(url: url)
        http.method = request.method
        for (name, value) in headers { http.headers.add(name: name, value: value) }
        if let body = request.body {
            http.body = .bytes(body)
        }
        http.tlsConfiguration = tls
        let limit = timeout ?? (request.body == nil ? configuration.responseTimeout : configuration.requestTimeout)
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(http, deadline: .now() + TimeAmount(limit), logger: logger)
        } catch {
            throw mapTransportError(error, request: request)
        }
        if (200..<300).contains(response.status.code) { return response }
        let body = (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
        throw mapStatus(response.status, headers: response.headers, body: body, request: request)
    }

    /// The URL (path encoded), the raw path that is signed, and the Host header of a key (or the bucket).
    func address(key: String?, on endpoint: S3Endpoint? = nil) -> (url: String, rawPath: String, host: String) {
        let endpoint = endpoint ?? self.endpoint
        let scheme = endpoint.tls ? "https" : "http"
        let rawPath: String
        let host: String
        // Dotted bucket names do not match the endpoint's wildcard TLS certificate: use path style for them.
        if configuration.forcePathStyle || (endpoint.tls && configuration.bucket.contains(".")) {
            host = endpoint.hostHeader
            rawPath = endpoint.basePath + "/" + configuration.bucket + (key.map { "/" + $0 } ?? "")
        } else {
            host = configuration.bucket + "." + endpoint.hostHeader
            rawPath = endpoint.basePath + "/" + (key ?? "")
        }
        return ("\(scheme)://\(host)\(SigV4Signer.encodedPath(rawPath))", rawPath, host)
    }

    /// Maps an HTTP failure status to an error that names the bucket, endpoint and key.
    func mapStatus(
        _ status: HTTPResponseStatus,
        headers: HTTPHeaders,
        body: ByteBuffer,
        request: S3Request
    )
        -> ObjectStoreError
    {
        let text = Substring(String(buffer: body))
        let code = S3XML.value("Code", in: text) ?? ""
        let detail = S3XML.value("Message", in: text).map { ": \($0)" } ?? ""
        let what = request.key.map { "object \(ObjectKey.quoted($0)) in \(bucketDescription)" } ?? bucketDescription
        let summary =
            "\(request.method) \(what) failed with HTTP \(status.code)\(code.isEmpty ? "" : " \(code)")\(detail)"
        switch (status.code, code) {
        case (404, "NoSuchBucket"):
            return ObjectStoreError(
                code: .invalidConfiguration,
                message: "bucket \"\(configuration.bucket)\" does not exist at \(endpoint)"
            )
        case (404, _) where request.key != nil:
            return ObjectStoreError(
                code: .notFound,
                message: "object \(ObjectKey.quoted(request.key ?? "")) not found in \(bucketDescription)"
            )
        case (404, _):
            return ObjectStoreError(
                code: .invalidConfiguration,
                message: "bucket \"\(configuration.bucket)\" does not exist at \(endpoint)"
            )
        case (403, _), (401, _):
            return ObjectStoreError(code: .accessDenied, message: "access denied: \(summary)")
        case (301, _), (307, _), (400, "AuthorizationHeaderMalformed"), (400, "IllegalLocationConstraintException"):
            let region =
                headers.first(name: "x-amz-bucket-region").map {
                    " (the bucket is in region \($0); set config region=\($0))"
                } ?? ""
            return ObjectStoreError(code: .invalidConfiguration, message: summary + region)
        case (400, "RequestTimeout"), (400, "RequestTimeTooSkewed"), (429, _), (500...599, _):
            return ObjectStoreError(code: .unavailable, message: summary)
        case (412, _):
            return ObjectStoreError(code: .alreadyExists, message: "precondition failed: \(summary)")
        default:
            return ObjectStoreError(code: .http, message: summary)
        }
    }

    /// Maps a failure to reach the endpoint: TLS problems are configuration errors, the rest retryable.
    func mapTransportError(_ error: any Error, request: S3Request) -> any Error {
        if error is CancellationError || error is ObjectStoreError { return error }
        if error is NIOSSLError || error is BoringSSLError {
            return ObjectStoreError(
                code: .invalidConfiguration,
                message: "TLS with S3 endpoint \(endpoint) failed",
                cause: error
            )
        }
        if let reason = Self.unreachableReason(error) {
            // One line: the endpoint and the cause, without the socket layer's wording ("connection reset
            // (error set)" for a refusal).
            return ObjectStoreError(code: .unreachable, message: "S3 endpoint \(endpoint): \(reason)")
        }
        return ObjectStoreError(
            code: .unavailable,
            message: "cannot reach S3 endpoint \(endpoint) (\(request.method) \(request.key ?? configuration.bucket))",
            cause: error
        )
    }

    /// Why an endpoint cannot be reached at all, when retrying would not help: the connection was refused (nothing
    /// listens on the port) or the host name does not resolve; `nil` for other failures (timeouts, resets).
    static func unreachableReason(_ error: any Error) -> String? {
        if let error = error as? NIOConnectionError {
            if !error.connectionErrors.isEmpty,
                error.connectionErrors.allSatisfy({ ($0.error as? IOError)?.errnoCode == ECONNREFUSED })
            {
                return "connection refused (nothing listens on \(error.host) port \(error.port))"
            }
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return "host name \(error.host) does not resolve (DNS lookup failed)"
            }
            return nil
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            return "connection refused (nothing listens on the port)"
        }
        if let error = error as? SocketAddressError, case .unknown(let host, _) = error {
            return "host name \(host) does not resolve (DNS lookup failed)"
        }
        return nil
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension S3ObjectStore {
    /// A presigned GET URL of `key`, valid for `validFor` (at most 7 days, S3's limit), signed with the store's
    /// current credentials as the AWS SDKs' `Presign` does — on the `publicUrl` endpoint when there is one, as
    /// Velero's AWS plugin signs for it.
    public func downloadURL(_ key: String, validFor: Duration) async throws -> String {
        try ObjectKey.validate(key)
        let (url, rawPath, host) = address(key: key, on: configuration.publicEndpoint.flatMap(S3Endpoint.init))
        let seconds = Int(min(max(validFor.components.seconds, 1), 7 * 24 * 3600))
        let query = signer.presignedQuery(method: "GET", path: rawPath, host: host, date: Date(), expires: seconds)
        return url + "?" + query
    }
}
