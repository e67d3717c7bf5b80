public import Logging
public import ObjectStorage

extension MotoServer {
    /// The S3 configuration for `bucket` on this server (path-style, region us-east-1).
    public func configuration(
        bucket: String,
        endpoint: String? = nil,
        partSize: Int = 5 * 1024 * 1024
    )
        -> S3Configuration
    {
        S3Configuration(
            bucket: bucket,
            region: "us-east-1",
            endpoint: endpoint ?? self.endpoint,
            forcePathStyle: true,
            partSize: partSize,
            retry: RetryPolicy(maxAttempts: 6, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200)),
            requestTimeout: .seconds(60)
        )
    }

    /// The credentials moto accepts.
    public var credentials: AWSCredentials {
        AWSCredentials(accessKeyID: Self.accessKeyID, secretAccessKey: Self.secretAccessKey)
    }

    /// A store on a new bucket of this server (the bucket is created).
    public func makeStore(bucket: String, logger: Logger) async throws -> S3ObjectStore {
        let store = try S3ObjectStore(
            configuration: configuration(bucket: bucket),
            credentials: credentials,
            logger: logger
        )
        try await store.createBucket()
        return store
    }
}
