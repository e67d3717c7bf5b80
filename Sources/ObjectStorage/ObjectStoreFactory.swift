public import AsyncHTTPClient
public import Logging
import Synchronization

/// Builds stores from `ObjectStoreLocation`s.
///
/// ```swift
/// let factory = ObjectStoreFactory(environment: ProcessInfo.processInfo.environment)
/// let store = try factory.makeStore(for: location, logger: logger)      // keys relative to the BSL prefix
/// let repo = try factory.makeStore(for: location, subpath: "restic/ns1", logger: logger)
/// ```
/// `memory` buckets live as long as the factory, and are shared by the stores it makes.
public struct ObjectStoreFactory: Sendable {
    public var environment: [String: String]
    public var httpClient: HTTPClient
    /// Overrides the S3 and GCS retry policy (tests use short backoffs).
    public var retry: RetryPolicy?
    /// Told about each retry of the S3 and GCS stores it makes (see ``RetryPolicy/observer``).
    public var retryObserver: (@Sendable (RetryNotice) -> Void)?
    private let memoryBuckets = MemoryBuckets()

    private final class MemoryBuckets: Sendable {
        let stores = Mutex<[String: MemoryObjectStore]>([:])
    }

    public init(
        environment: [String: String],
        httpClient: HTTPClient = S3ObjectStore.defaultHTTPClient,
        retry: RetryPolicy? = nil
    ) {
        self.environment = environment
        self.httpClient = httpClient
        self.retry = retry
    }

    /// A store whose keys are relative to `location.prefix` (and `subpath`, if given).
    /// - Throws: `.invalidConfiguration` naming the provider, bucket or config key at fault.
    public func makeStore(
        for location: ObjectStoreLocation,
        subpath: String = "",
        logger: Logger
    ) throws
        -> any ObjectStore
    {
        let base = try makeBucketStore(for: location, logger: logger)
        let prefix = [location.trimmedPrefix, subpath].filter { !$0.isEmpty }.joined(separator: "/")
        if prefix.isEmpty { return base }
        return try PrefixedObjectStore(base: AnyObjectStore(base), prefix: prefix)
    }

    /// The store for the whole bucket, ignoring the prefix.
    public func makeBucketStore(for location: ObjectStoreLocation, logger: Logger) throws -> any ObjectStore {
        switch location.normalizedProvider {
        case "aws", "s3":
            var configuration = try S3Configuration(
                bucket: location.bucket,
                bslConfig: location.config,
                caCert: location.caCert
            )
            if let retry { configuration.retry = retry }
            if let retryObserver { configuration.retry.observer = retryObserver }
            let credentials = try AWSCredentials.resolve(
                credentialFile: location.credential,
                profile: configuration.profile,
                environment: environment
            )
            return try S3ObjectStore(
                configuration: configuration,
                credentials: credentials,
                httpClient: httpClient,
                logger: logger
            )
        case "gcp", "gcs":
            var configuration = try GCSConfiguration(
                bucket: location.bucket,
                bslConfig: location.config,
                environment: environment
            )
            if let retry { configuration.retry = retry }
            if let retryObserver { configuration.retry.observer = retryObserver }
            let credentials = try GCSCredentials.resolve(
                credential: location.credential,
                credentialsFile: location.config["credentialsFile"],
                environment: environment
            )
            return try GCSObjectStore(
                configuration: configuration,
                credentials: credentials,
                httpClient: httpClient,
                logger: logger
            )
        case "filesystem", "file", "local":
            return try FilesystemObjectStore(root: location.bucket)
        case "memory":
            return memoryBuckets.stores.withLock { stores in
                if let store = stores[location.bucket] { return store }
                let store = MemoryObjectStore()
                stores[location.bucket] = store
                return store
            }
        default:
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message:
                    "unknown object store provider \"\(location.provider)\" (supported: aws, gcp, filesystem, memory)"
            )
        }
    }
}
