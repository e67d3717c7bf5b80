public import Logging
public import ObjectStorage

extension GCSEmulator {
    /// The GCS configuration for this emulator's bucket (short retry backoffs, small chunks and pages).
    public func configuration(chunkSize: Int = 1024 * 1024, listPageSize: Int = 1000) -> GCSConfiguration {
        GCSConfiguration(
            bucket: bucket,
            endpoint: endpoint,
            chunkSize: chunkSize,
            listPageSize: listPageSize,
            retry: RetryPolicy(maxAttempts: 6, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200))
        )
    }

    /// A store on this emulator's bucket, without credentials (as Google's SDKs do for an emulator).
    public func makeStore(
        chunkSize: Int = 1024 * 1024,
        listPageSize: Int = 1000,
        logger: Logger
    ) throws
        -> GCSObjectStore
    {
        try GCSObjectStore(
            configuration: configuration(chunkSize: chunkSize, listPageSize: listPageSize),
            credentials: .anonymous,
            logger: logger
        )
    }
}
