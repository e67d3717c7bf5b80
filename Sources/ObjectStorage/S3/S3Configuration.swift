/// Where and how an `S3ObjectStore` talks to an S3-compatible service.
///
/// Build it directly, or from a BackupStorageLocation's config map with `init(bucket:bslConfig:)`.
public struct S3Configuration: Sendable {
    /// The checksum sent with uploads (`x-amz-checksum-*`), Velero's `checksumAlgorithm`.
    public enum ChecksumAlgorithm: String, Sendable, CaseIterable {
        case crc32 = "CRC32"
        case crc32c = "CRC32C"
        case sha1 = "SHA1"
        case sha256 = "SHA256"
    }

    /// The bucket name.
    public var bucket: String
    /// The signing region (`us-east-1`, `minio`, …).
    public var region: String
    /// The endpoint, `scheme://host[:port][/base]`; default `https://s3.<region>.amazonaws.com`.
    public var endpoint: String
    /// Path-style addressing (`endpoint/bucket/key`) instead of virtual-hosted (`bucket.endpoint/key`).
    public var forcePathStyle: Bool
    /// Skip TLS certificate verification (testing only).
    public var insecureSkipTLSVerify: Bool
    /// Extra trusted CA certificates, PEM.
    public var caCertificatePEM: String?
    /// `x-amz-server-side-encryption` value (`AES256`, `aws:kms`).
    public var serverSideEncryption: String?
    /// KMS key id; implies `aws:kms` server-side encryption.
    public var kmsKeyID: String?
    /// Upload checksum; `nil` sends none.
    public var checksumAlgorithm: ChecksumAlgorithm?
    /// Size of multipart parts, and the largest object sent in one PUT (min 5 MiB).
    public var partSize: Int
    /// Parts uploaded at the same time (memory use ≈ (partConcurrency + 1) × partSize).
    public var partConcurrency: Int
    /// Retry policy applied to every request (and to every part).
    public var retry: RetryPolicy
    /// The longest a request with a body (one PUT, one part) may take until the answer's headers arrive.
    public var requestTimeout: Duration
    /// The longest a request without a body (HEAD, GET, LIST, DELETE) may take until the answer's headers
    /// arrive; also bounds how long an unreachable endpoint is retried per attempt. Streaming a GET body is
    /// not limited by it.
    public var responseTimeout: Duration
    /// The profile read from a shared-credentials file (Velero's `profile`).
    public var profile: String?
    /// Where clients outside the cluster reach the store (Velero's `publicUrl`): presigned download URLs name it
    /// instead of ``endpoint``; nil to use ``endpoint``.
    public var publicEndpoint: String?

    public init(
        bucket: String,
        region: String = "us-east-1",
        endpoint: String? = nil,
        forcePathStyle: Bool = false,
        insecureSkipTLSVerify: Bool = false,
        caCertificatePEM: String? = nil,
        serverSideEncryption: String? = nil,
        kmsKeyID: String? = nil,
        checksumAlgorithm: ChecksumAlgorithm? = .crc32,
        partSize: Int = 8 * 1024 * 1024,
        partConcurrency: Int = 4,
        retry: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(300),
        responseTimeout: Duration = .seconds(30),
        profile: String? = nil,
        publicEndpoint: String? = nil
    ) {
        self.bucket = bucket
        self.region = region
        self.endpoint = endpoint ?? "https://s3.\(region).amazonaws.com"
        self.forcePathStyle = forcePathStyle
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.caCertificatePEM = caCertificatePEM
        self.serverSideEncryption = serverSideEncryption
        self.kmsKeyID = kmsKeyID
        self.checksumAlgorithm = checksumAlgorithm
        self.partSize = max(5 * 1024 * 1024, partSize)
        self.partConcurrency = max(1, partConcurrency)
        self.retry = retry
        self.requestTimeout = requestTimeout
        self.responseTimeout = responseTimeout
        self.profile = profile
        self.publicEndpoint = publicEndpoint
    }
}
