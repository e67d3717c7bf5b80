import NIOCore
import NIOHTTP1

extension S3ObjectStore {
    /// Creates the bucket (idempotent: an existing bucket owned by these credentials is fine).
    public func createBucket() async throws {
        var body: ByteBuffer?
        if configuration.region != "us-east-1" && endpoint.host.hasSuffix("amazonaws.com") {
            body = ByteBuffer(
                string: "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + "<LocationConstraint>\(S3XML.escape(configuration.region))</LocationConstraint></CreateBucketConfiguration>"
            )
        }
        do {
            _ = try await send(S3Request(method: .PUT, key: nil, body: body))
        } catch let error as ObjectStoreError where error.message.contains("BucketAlreadyOwnedByYou") {
            return
        }
    }

    /// Checks that the bucket exists and the credentials may use it (HEAD bucket), failing fast.
    /// - Parameters:
    ///   - timeout: the longest one attempt may take.
    ///   - attempts: attempts before giving up on an unreachable or failing endpoint.
    /// - Throws: `.invalidConfiguration` (no such bucket), `.accessDenied`, `.unavailable` (unreachable), each
    ///   naming the bucket and the endpoint.
    public func checkBucket(timeout: Duration = .seconds(10), attempts: Int = 2) async throws {
        var policy = configuration.retry
        policy.maxAttempts = max(1, attempts)
        _ = try await send(S3Request(method: .HEAD, key: nil), policy: policy, timeout: timeout)
    }
}
