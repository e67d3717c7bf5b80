/// Where and how a `GCSObjectStore` talks to Google Cloud Storage's JSON API.
///
/// Build it directly, or from a BackupStorageLocation's config map with `init(bucket:bslConfig:environment:)`.
public struct GCSConfiguration: Sendable {
    /// Google's JSON API endpoint.
    public static let googleEndpoint = "https://storage.googleapis.com"

    /// The bucket name.
    public var bucket: String
    /// The API endpoint, `scheme://host[:port]` (Velero's `storeEndpoint`, or `STORAGE_EMULATOR_HOST`).
    public var endpoint: String
    /// The Cloud KMS key new objects are encrypted with (Velero's `kmsKeyName`), sent as `kmsKeyName` on upload.
    public var kmsKeyName: String?
    /// The service account that signs download URLs when it differs from the key's `client_email`
    /// (Velero's `serviceAccount`).
    public var serviceAccount: String?
    /// Objects up to this size go in one `uploadType=media` request; larger ones, and bodies of unknown length
    /// beyond it, as a resumable upload in chunks of this size (rounded up to a multiple of 256 KiB).
    public var chunkSize: Int
    /// `maxResults` of each listing page (1…1,000).
    public var listPageSize: Int
    /// Retry policy applied to every request (and to every chunk).
    public var retry: RetryPolicy
    /// The longest a request with a body may take until the answer's headers arrive.
    public var requestTimeout: Duration
    /// The longest a request without a body may take until the answer's headers arrive.
    public var responseTimeout: Duration

    public init(
        bucket: String,
        endpoint: String = GCSConfiguration.googleEndpoint,
        kmsKeyName: String? = nil,
        serviceAccount: String? = nil,
        chunkSize: Int = 8 * 1024 * 1024,
        listPageSize: Int = 1000,
        retry: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(300),
        responseTimeout: Duration = .seconds(30)
    ) {
        self.bucket = bucket
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.kmsKeyName = kmsKeyName
        self.serviceAccount = serviceAccount
        let quantum = 256 * 1024
        self.chunkSize = max(1, (max(chunkSize, 1) + quantum - 1) / quantum) * quantum
        self.listPageSize = min(max(listPageSize, 1), 1000)
        self.retry = retry
        self.requestTimeout = requestTimeout
        self.responseTimeout = responseTimeout
    }
}
