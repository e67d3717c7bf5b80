/// Where objects live: a provider, a bucket, a prefix and provider settings — a BackupStorageLocation's
/// `spec.provider`, `spec.objectStorage.{bucket,prefix,caCert}`, `spec.config` and credential.
public struct ObjectStoreLocation: Sendable, Hashable {
    /// `aws` (any S3-compatible store), `gcp` (Google Cloud Storage), `filesystem` or `memory`; a `velero.io/`
    /// qualifier (`velero.io/aws`, `velero.io/gcp`) is accepted too.
    public var provider: String
    /// The S3 bucket, the absolute folder (filesystem) or a name (memory).
    public var bucket: String
    /// The key prefix inside the bucket (leading and trailing `/` are ignored).
    public var prefix: String
    /// Provider settings (Velero AWS-plugin keys for `aws`).
    public var config: [String: String]
    /// The BSL credential's content (an AWS shared-credentials file, a GCP service-account JSON key), if any.
    public var credential: String?
    /// The BSL's `objectStorage.caCert` (PEM or base64 PEM), if any.
    public var caCert: String?

    /// - Parameter prefix: the key prefix; `nil` or empty for none.
    public init(
        provider: String,
        bucket: String,
        prefix: String? = nil,
        config: [String: String] = [:],
        credential: String? = nil,
        caCert: String? = nil
    ) {
        self.provider = provider
        self.bucket = bucket
        self.prefix = prefix ?? ""
        self.config = config
        self.credential = credential
        self.caCert = caCert
    }

    /// The provider name without a `velero.io/` qualifier, lower-cased.
    public var normalizedProvider: String {
        var name = provider.lowercased()
        if name.hasPrefix("velero.io/") { name.removeFirst("velero.io/".count) }
        return name
    }

    /// The prefix without leading and trailing `/`.
    public var trimmedPrefix: String {
        var slice = Substring(prefix)
        while slice.hasPrefix("/") { slice = slice.dropFirst() }
        while slice.hasSuffix("/") { slice = slice.dropLast() }
        return String(slice)
    }
}
