public import AsyncHTTPClient
public import Logging
public import NIOCore
import NIOHTTP1
import NIOSSL

import struct Foundation.Date

/// An object store in an S3-compatible bucket (AWS S3, MinIO, moto, Ceph RGW…): the `aws` provider.
///
/// Requests are signed with SigV4 (`SigV4Signer`) and sent with AsyncHTTPClient. Every request is
/// retried under `configuration.retry` on 5xx, `SlowDown`, timeouts and connection resets; bodies are
/// held in memory only one part at a time, so a retry can resend them. Objects up to `partSize` go in
/// one PUT; larger ones as a multipart upload with `partConcurrency` parts in flight (aborted on
/// failure). GET streams the body; when a stream breaks it resumes with a `Range` request.
///
/// ```swift
/// let config = try S3Configuration(bucket: "velero", bslConfig: ["region": "minio", "s3Url": url,
///                                                              "s3ForcePathStyle": "true"])
/// let store = S3ObjectStore(configuration: config, credentials: creds, logger: logger)
/// ```
public struct S3ObjectStore: ObjectStore {
    public let configuration: S3Configuration
    let signer: SigV4Signer
    let endpoint: S3Endpoint
    let httpClient: HTTPClient
    let tls: TLSConfiguration?
    let logger: Logger

    /// A process-wide client for S3: no redirects followed (a signed request cannot be replayed
    /// elsewhere), no response decompression (objects are returned byte for byte), 10 s connect and
    /// 60 s read timeouts (a stalled body fails and is resumed), no silent retries of connection
    /// establishment (a refused connection or a DNS failure is reported at once). Like `HTTPClient.shared`, it lives as
    /// long as the process and is never shut down.
    public static let defaultHTTPClient: HTTPClient = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: httpClientConfiguration
    )

    /// The configuration of ``defaultHTTPClient`` (tests build clients of their own with it).
    public static var httpClientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(60)),
            decompression: .disabled
        )
        configuration.httpVersion = .automatic
        // A refused connection or a failed DNS lookup fails the request at once (the pool would otherwise retry
        // it silently until the request's deadline); `RetryPolicy` decides what is retried.
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    /// - Parameters:
    ///   - httpClient: the client to send with (default: `defaultHTTPClient`).
    /// - Throws: `.invalidConfiguration` for a malformed endpoint or CA certificate.
    public init(
        configuration: S3Configuration,
        credentials: AWSCredentials,
        httpClient: HTTPClient = S3ObjectStore.defaultHTTPClient,
        logger: Logger
    ) throws {
        guard let endpoint = S3Endpoint(configuration.endpoint) else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "S3 endpoint \"\(configuration.endpoint)\" is not a valid URL"
            )
        }
        self.configuration = configuration
        self.endpoint = endpoint
        self.signer = SigV4Signer(credentials: credentials, region: configuration.region, service: "s3")
        self.httpClient = httpClient
        self.logger = logger
        if configuration.insecureSkipTLSVerify || configuration.caCertificatePEM != nil {
            var tls = TLSConfiguration.makeClientConfiguration()
            if configuration.insecureSkipTLSVerify { tls.certificateVerification = .none }
            if let pem = configuration.caCertificatePEM {
                do {
                    let certificates = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
                    tls.additionalTrustRoots = [.certificates(certificates)]
                } catch {
                    throw ObjectStoreError(
                        code: .invalidConfiguration,
                        message: "caCert is not a valid PEM certificate",
                        cause: error
                    )
                }
            }
            self.tls = tls
        } else {
            self.tls = nil
        }
    }

    /// `bucket at endpoint`, for messages.
    var bucketDescription: String { "bucket \"\(configuration.bucket)\" at \(endpoint)" }

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
        return try await S3Download.start(store: self, key: key)
    }

    public func get(_ key: String, range: Range<Int>) async throws -> ObjectBody {
        try ObjectKey.validate(key)
        let lower = max(0, range.lowerBound)
        guard range.upperBound > lower else {
            guard try await head(key) != nil else {
                throw ObjectStoreError(
                    code: .notFound,
                    message: "object \(ObjectKey.quoted(key)) not found in \(bucketDescription)"
                )
            }
            return ObjectBody(ByteBuffer())
        }
        return try await S3Download.start(store: self, key: key, range: lower..<range.upperBound)
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        try ObjectKey.validate(key)
        do {
            let response = try await send(S3Request(method: .HEAD, key: key))
            let length = response.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
            return ObjectInfo(
                key: key,
                size: length,
                lastModified: response.headers.first(name: "last-modified").flatMap(HTTPDate.parse),
                etag: response.headers.first(name: "etag")
            )
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
            _ = try await send(S3Request(method: .DELETE, key: key))
        } catch let error as ObjectStoreError where error.code == .notFound {
            return
        }
    }
}
