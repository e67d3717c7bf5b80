import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ObjectStorageTesting
import Synchronization
import Testing

@testable import ObjectStorage

/// S3 against a real `moto_server` on 127.0.0.1 (one per test process), each test in its own bucket.
struct S3ObjectStoreTests {
    static let logger = Logger(label: "s3-test")

    static func bucketName() -> String { "lifeboat-\(UUID().uuidString.lowercased().prefix(18))" }

    static func digest(_ bytes: [UInt8]) -> String { Data(SHA256.hash(data: bytes)).base64EncodedString() }

    static func digest(of body: ObjectBody) async throws -> (String, Int) {
        var hash = SHA256()
        var count = 0
        for try await chunk in body {
            chunk.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
            count += chunk.readableBytes
        }
        return (Data(hash.finalize()).base64EncodedString(), count)
    }

    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func conformance(_ check: ObjectStoreConformance.Check) async throws {
        let moto = try await MotoServer.shared()
        let store = try await moto.makeStore(bucket: Self.bucketName(), logger: Self.logger)
        try await ObjectStoreConformance(store: store).run(check)
    }

    @Test func multipartUploadOf20MiBWith5MiBParts() async throws {
        let moto = try await MotoServer.shared()
        let store = try await moto.makeStore(bucket: Self.bucketName(), logger: Self.logger)
        let bytes = ObjectStoreConformance.pattern(20 * 1024 * 1024 + 12_345)
        try await store.put(
            "backups/big/big.tar.gz",
            body: ObjectStoreConformance.chunked(bytes, chunk: 300_001),
            length: nil
        )
        let info = try #require(try await store.head("backups/big/big.tar.gz"))
        #expect(info.size == bytes.count)
        #expect(info.etag?.hasSuffix("-5\"") == true, "a 5-part multipart ETag, got \(info.etag ?? "nil")")
        let (hash, count) = try await Self.digest(of: store.get("backups/big/big.tar.gz"))
        #expect(count == bytes.count)
        #expect(hash == Self.digest(bytes))
    }

    @Test func failedMultipartUploadIsAborted() async throws {
        struct Boom: Error {}
        let moto = try await MotoServer.shared()
        let store = try await moto.makeStore(bucket: Self.bucketName(), logger: Self.logger)
        let bytes = ObjectStoreConformance.pattern(11 * 1024 * 1024)
        let failing = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            continuation.yield(ByteBuffer(bytes: bytes))
            continuation.finish(throwing: Boom())
        }
        await #expect(throws: Boom.self) { try await store.put("partial", body: failing, length: nil) }
        #expect(try await store.head("partial") == nil)
        let uploads = try await store.send(S3Request(method: .GET, key: nil, query: [("uploads", "")]))
        #expect(!uploads.text.contains("<UploadId>"), "no multipart upload is left behind")
    }

    /// A process killed mid-upload leaves its multipart upload open; the sweep aborts those under the prefix
    /// and leaves the rest. (moto reports every upload as initiated in 2010, so the cutoff is checked below.)
    @Test func abandonedMultipartUploadsUnderThePrefixAreAborted() async throws {
        let moto = try await MotoServer.shared()
        let store = try await moto.makeStore(bucket: Self.bucketName(), logger: Self.logger)
        func start(_ key: String) async throws {
            let created = try await store.send(S3Request(method: .POST, key: key, query: [("uploads", "")]))
            #expect(S3XML.value("UploadId", in: created.text)?.isEmpty == false)
        }
        func openUploads() async throws -> [String] {
            let text = try await store.send(S3Request(method: .GET, key: nil, query: [("uploads", "")])).text
            return S3XML.elements("Upload", in: text).compactMap { S3XML.value("Key", in: $0) }.sorted()
        }
        try await start("repo/data/00/killed-1")
        try await start("repo/data/01/killed-2")
        try await start("repository-2/data/00/kept")
        try await start("other/data/00/kept")
        try await store.putData("repo/config", bytes: [1, 2, 3] as [UInt8])
        #expect(try await store.removeAbandonedWrites(prefix: "repo/", before: Date(timeIntervalSinceNow: 5)) == 2)
        #expect(try await openUploads() == ["other/data/00/kept", "repository-2/data/00/kept"])
        #expect(try await store.getData("repo/config") == ByteBuffer(bytes: [1, 2, 3]), "objects are never touched")
        #expect(try await store.removeAbandonedWrites(prefix: "repo/", before: Date(timeIntervalSinceNow: 5)) == 0)
    }

    /// Only uploads initiated before the cutoff are chosen (a page as AWS documents it, with entities).
    @Test func abandonedUploadsAreThoseInitiatedBeforeTheCutoff() throws {
        let page: Substring = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Bucket>bucket</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>
              <NextKeyMarker>repo/data/b</NextKeyMarker><NextUploadIdMarker>id-b</NextUploadIdMarker>
              <MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>
              <Upload><Key>repo/data/a&amp;1</Key><UploadId>id-a</UploadId><StorageClass>STANDARD</StorageClass>
                <Initiated>2026-11-22T01:00:00.000Z</Initiated></Upload>
              <Upload><Key>repo/data/b</Key><UploadId>id-b</UploadId><StorageClass>STANDARD</StorageClass>
                <Initiated>2026-11-22T03:00:00.000Z</Initiated></Upload>
              <Upload><Key>other/c</Key><UploadId>id-c</UploadId><Initiated>2026-11-22T00:00:00.000Z</Initiated></Upload>
              <Upload><Key>repo/data/d</Key><UploadId>id-d</UploadId></Upload>
            </ListMultipartUploadsResult>
            """
        let cutoff = try #require(UTCDateFormat.parseISO8601("2026-11-22T02:00:00Z"))
        let chosen = S3ObjectStore.abandonedUploads(inListing: page, prefix: "repo/", before: cutoff)
        #expect(chosen.map(\.key) == ["repo/data/a&1"])
        #expect(chosen.map(\.id) == ["id-a"])
        let later = cutoff.addingTimeInterval(7200)
        #expect(
            S3ObjectStore.abandonedUploads(inListing: page, prefix: "repo/", before: later).map(\.id) == [
                "id-a", "id-b",
            ]
        )
    }

    /// Runs `body` with an HTTP client that opens one connection per request, so the proxy's
    /// per-connection faults hit requests in order (no pooled connection slips past them).
    static func withOneRequestPerConnection<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.maximumUsesPerConnection = 1
        return try await HTTPClient.withHTTPClient(configuration: configuration) { try await body($0) }
    }

    @Test func retriesSlowDownAndDroppedConnectionsWithoutCorruption() async throws {
        let moto = try await MotoServer.shared()
        let bucket = Self.bucketName()
        _ = try await moto.makeStore(bucket: bucket, logger: Self.logger)
        let proxy = try await FaultInjectingProxy.start(upstreamPort: moto.port)
        try await Self.withOneRequestPerConnection { client in
            let store = try S3ObjectStore(
                configuration: moto.configuration(bucket: bucket, endpoint: proxy.endpoint),
                credentials: moto.credentials,
                httpClient: client,
                logger: Self.logger
            )
            // Small object: 503 SlowDown twice, then a dropped connection, then a 500.
            proxy.plan([.slowDown, .slowDown, .drop, .internalError])
            let small = ObjectStoreConformance.pattern(100_000, seed: 7)
            try await store.putData("small", bytes: small)
            #expect(proxy.injectedFaults == 4)
            // Multipart: faults land on parts and on create/complete.
            proxy.plan([.drop, .slowDown, .internalError, .drop, .slowDown])
            let large = ObjectStoreConformance.pattern(11 * 1024 * 1024, seed: 8)
            try await store.put(
                "large",
                body: ObjectStoreConformance.chunked(large, chunk: 1 << 20),
                length: large.count
            )
            #expect(proxy.pendingFaults == 0)
            // Reads through faults, including a response cut off in the middle of the body (resumed with Range).
            proxy.plan([.slowDown, .truncateResponse(after: 3 * 1024 * 1024), .drop])
            let (hash, count) = try await Self.digest(of: store.get("large"))
            #expect(count == large.count)
            #expect(hash == Self.digest(large))
            #expect(Array(try await store.getData("small").readableBytesView) == small)
            #expect(proxy.pendingFaults == 0)
            // Listing pages are retried too.
            proxy.plan([.slowDown, .drop])
            #expect(try await store.listAll(prefix: "").map(\.key) == ["large", "small"])
            #expect(proxy.pendingFaults == 0)
        }
        await proxy.stop()
    }

    @Test func exhaustedRetriesReportTheEndpoint() async throws {
        let moto = try await MotoServer.shared()
        let bucket = Self.bucketName()
        _ = try await moto.makeStore(bucket: bucket, logger: Self.logger)
        let proxy = try await FaultInjectingProxy.start(upstreamPort: moto.port)
        try await Self.withOneRequestPerConnection { client in
            var configuration = moto.configuration(bucket: bucket, endpoint: proxy.endpoint)
            configuration.retry = RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(1))
            let store = try S3ObjectStore(
                configuration: configuration,
                credentials: moto.credentials,
                httpClient: client,
                logger: Self.logger
            )
            proxy.plan(Array(repeating: .slowDown, count: 3))
            do {
                try await store.putData("x", bytes: [1])
                Issue.record("put succeeded through 3 SlowDowns with 3 attempts")
            } catch let error as ObjectStoreError {
                #expect(error.code == .unavailable)
                #expect(error.message.contains("SlowDown"))
                #expect(error.message.contains(bucket))
            }
        }
        await proxy.stop()
    }

    @Test func missingBucketIsNamed() async throws {
        let moto = try await MotoServer.shared()
        let store = try S3ObjectStore(
            configuration: moto.configuration(bucket: "no-such-bucket-here"),
            credentials: moto.credentials,
            logger: Self.logger
        )
        for attempt in 0..<2 {
            do {
                if attempt == 0 { try await store.checkBucket() } else { try await store.putData("k", bytes: [1]) }
                Issue.record("no error for a missing bucket")
            } catch let error as ObjectStoreError {
                #expect(error.code == .invalidConfiguration)
                #expect(error.message.contains("no-such-bucket-here"))
                #expect(error.message.contains(moto.endpoint))
            }
        }
    }

    /// A policy of the default attempts that counts the retries it is told about, without real waits.
    static func countingPolicy(_ retries: Counter) -> RetryPolicy {
        RetryPolicy(
            initialBackoff: .milliseconds(1),
            maxBackoff: .milliseconds(1),
            observer: { notice in retries.add(notice.summary) }
        )
    }

    /// Records the retry notices of a policy.
    final class Counter: Sendable {
        private let notices = Mutex<[String]>([])
        func add(_ notice: String) { notices.withLock { $0.append(notice) } }
        var all: [String] { notices.withLock { $0 } }
    }

    /// An S3 error is one line naming the endpoint and the cause, with balanced parentheses.
    static func expectOneLine(_ error: ObjectStoreError, naming values: [String]) {
        let text = "\(error)"
        #expect(!text.contains("\n"), "\(text)")
        #expect(text.filter { $0 == "(" }.count == text.filter { $0 == ")" }.count, "stray parenthesis: \(text)")
        for value in values { #expect(text.contains(value), "\(text) does not name \(value)") }
    }

    /// A refused connection (a closed loopback port) fails on the first attempt, named as a refusal.
    @Test func refusedConnectionFailsWithoutRetries() async throws {
        let port = try freeLoopbackPort()
        let retries = Counter()
        var configuration = S3Configuration(bucket: "b", endpoint: "http://127.0.0.1:\(port)", forcePathStyle: true)
        configuration.retry = Self.countingPolicy(retries)
        // A client of its own (the production configuration), so the other tests' traffic does not delay it.
        try await HTTPClient.withHTTPClient(configuration: S3ObjectStore.httpClientConfiguration) { client in
            let store = try S3ObjectStore(
                configuration: configuration,
                credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "b"),
                httpClient: client,
                logger: Self.logger
            )
            for operation in ["head", "put", "list"] {
                do {
                    switch operation {
                    case "head": _ = try await store.head("k")
                    case "put": try await store.putData("k", bytes: [1])
                    default: _ = try await store.listAll(prefix: "")
                    }
                    Issue.record("no error for a refused connection (\(operation))")
                } catch let error as ObjectStoreError {
                    #expect(error.code == .unreachable, "\(operation): \(error)")
                    Self.expectOneLine(error, naming: ["http://127.0.0.1:\(port)", "connection refused"])
                    #expect(!"\(error)".contains("reset"), "\(error)")
                }
            }
            #expect(retries.all.isEmpty, "a refusal is not retried: \(retries.all)")
        }
    }

    /// A host name that cannot resolve (`.invalid`, RFC 6761) fails on the first attempt, named as a DNS failure.
    @Test func dnsFailureFailsWithoutRetries() async throws {
        let retries = Counter()
        var configuration = S3Configuration(
            bucket: "b",
            endpoint: "http://lifeboat-test.invalid:9000",
            forcePathStyle: true
        )
        configuration.retry = Self.countingPolicy(retries)
        try await HTTPClient.withHTTPClient(configuration: S3ObjectStore.httpClientConfiguration) { client in
            let store = try S3ObjectStore(
                configuration: configuration,
                credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "b"),
                httpClient: client,
                logger: Self.logger
            )
            do {
                _ = try await store.head("k")
                Issue.record("no error for a host name that does not resolve")
            } catch let error as ObjectStoreError {
                #expect(error.code == .unreachable, "\(error)")
                Self.expectOneLine(
                    error,
                    naming: ["http://lifeboat-test.invalid:9000", "lifeboat-test.invalid does not resolve"]
                )
            }
            #expect(retries.all.isEmpty, "a DNS failure is not retried: \(retries.all)")
        }
    }

    /// What can recover is retried, and each retry is told (for the progress line): a reset, 5xx answers.
    @Test func resetsAndServerErrorsAreRetriedAndTold() async throws {
        let moto = try await MotoServer.shared()
        let bucket = Self.bucketName()
        _ = try await moto.makeStore(bucket: bucket, logger: Self.logger)
        let proxy = try await FaultInjectingProxy.start(upstreamPort: moto.port)
        let retries = Counter()
        try await Self.withOneRequestPerConnection { client in
            var configuration = moto.configuration(bucket: bucket, endpoint: proxy.endpoint)
            configuration.retry = Self.countingPolicy(retries)
            let store = try S3ObjectStore(
                configuration: configuration,
                credentials: moto.credentials,
                httpClient: client,
                logger: Self.logger
            )
            proxy.plan([.drop, .internalError, .slowDown])
            try await store.putData("k", bytes: [1, 2, 3])
            #expect(proxy.injectedFaults == 3)
            #expect(retries.all.count == 3, "\(retries.all)")
            #expect(retries.all.first?.hasPrefix("retrying PUT k (attempt 2 of 6") == true, "\(retries.all)")
            #expect(retries.all.last?.contains("SlowDown") == true, "\(retries.all)")
        }
        await proxy.stop()
    }

    /// A slow answer is waited for within the response timeout; one slower than that is given up and retried.
    @Test func slowAnswersAreWaitedForAndTooSlowOnesRetried() async throws {
        let moto = try await MotoServer.shared()
        let bucket = Self.bucketName()
        _ = try await moto.makeStore(bucket: bucket, logger: Self.logger)
        let proxy = try await FaultInjectingProxy.start(upstreamPort: moto.port)
        let retries = Counter()
        try await Self.withOneRequestPerConnection { client in
            var configuration = moto.configuration(bucket: bucket, endpoint: proxy.endpoint)
            configuration.retry = Self.countingPolicy(retries)
            configuration.responseTimeout = .seconds(2)
            let store = try S3ObjectStore(
                configuration: configuration,
                credentials: moto.credentials,
                httpClient: client,
                logger: Self.logger
            )
            let bytes = ObjectStoreConformance.pattern(200_000, seed: 3)
            try await store.putData("k", bytes: bytes)
            // Within the timeout: one attempt, which takes the delay.
            proxy.plan([.slowResponse(delay: .milliseconds(600))])
            let clock = ContinuousClock()
            let start = clock.now
            #expect(Array(try await store.getData("k").readableBytesView) == bytes)
            #expect(clock.now - start >= .milliseconds(600))
            #expect(retries.all.isEmpty, "\(retries.all)")
            // Past the timeout: given up after 2 s, retried, and the retry answers.
            proxy.plan([.slowResponse(delay: .seconds(30))])
            #expect(Array(try await store.getData("k").readableBytesView) == bytes)
            #expect(proxy.injectedFaults == 2 && proxy.pendingFaults == 0)
            #expect(retries.all.count == 1, "\(retries.all)")
            #expect(retries.all.first?.hasPrefix("retrying GET k (attempt 2 of 6") == true, "\(retries.all)")
        }
        await proxy.stop()
    }

    /// A presigned URL reads the object with no credentials at all (what a DownloadRequest answers with).
    @Test func aDownloadURLReadsTheObjectWithoutCredentials() async throws {
        let moto = try await MotoServer.shared()
        let bucket = Self.bucketName()
        let store = try await moto.makeStore(bucket: bucket, logger: Self.logger)
        let bytes = ObjectStoreConformance.pattern(50_000, seed: 11)
        try await store.putData("backups/b 1/b 1-logs.gz", bytes: bytes)
        let url = try await store.downloadURL("backups/b 1/b 1-logs.gz", validFor: .seconds(600))
        #expect(url.contains("/backups/b%201/b%201-logs.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&"), "\(url)")
        #expect(url.contains("&X-Amz-Expires=600&") && url.contains("&X-Amz-Signature="), "\(url)")
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        #expect(response.status == .ok)
        let body = try await response.body.collect(upTo: 1 << 20)
        #expect(Array(body.readableBytesView) == bytes)
    }

    @Test func aDownloadURLNamesThePublicURLWhenTheLocationHasOne() async throws {
        let moto = try await MotoServer.shared()
        let bucket = Self.bucketName()
        _ = try await moto.makeStore(bucket: bucket, logger: Self.logger)
        // The same server under another name, as a public endpoint in front of an in-cluster one would be.
        let publicURL = "http://localhost:\(moto.port)"
        var configuration = try S3Configuration(
            bucket: bucket,
            bslConfig: ["s3Url": moto.endpoint, "s3ForcePathStyle": "true", "publicUrl": publicURL + "/"]
        )
        #expect(configuration.publicEndpoint == publicURL)
        configuration.retry = moto.configuration(bucket: bucket).retry
        let store = try S3ObjectStore(configuration: configuration, credentials: moto.credentials, logger: Self.logger)
        let bytes = ObjectStoreConformance.pattern(1_000, seed: 12)
        try await store.putData("backups/b1/b1-logs.gz", bytes: bytes)
        let url = try await store.downloadURL("backups/b1/b1-logs.gz", validFor: .seconds(600))
        #expect(url.hasPrefix("\(publicURL)/\(bucket)/backups/b1/b1-logs.gz?X-Amz-Algorithm="), "\(url)")
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(Array(try await response.body.collect(upTo: 1 << 20).readableBytesView) == bytes)
        #expect(throws: ObjectStoreError.self) {
            try S3Configuration(bucket: bucket, bslConfig: ["publicUrl": "ftp://somewhere"])
        }
    }

    @Test func accessDeniedIsMapped() throws {
        let store = try S3ObjectStore(
            configuration: S3Configuration(bucket: "b", endpoint: "http://127.0.0.1:9"),
            credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "b"),
            logger: Self.logger
        )
        let body = ByteBuffer(string: "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
        let error = store.mapStatus(.forbidden, headers: [:], body: body, request: S3Request(method: .GET, key: "k"))
        #expect(error.code == .accessDenied)
        #expect(error.message.contains("\"b\""))
        #expect(error.message.contains("AccessDenied"))
        let slow = store.mapStatus(
            .serviceUnavailable,
            headers: [:],
            body: ByteBuffer(string: "<Error><Code>SlowDown</Code></Error>"),
            request: S3Request(method: .PUT, key: "k")
        )
        #expect(slow.code == .unavailable)
    }

    @Test func virtualHostedAddressing() throws {
        let store = try S3ObjectStore(
            configuration: S3Configuration(bucket: "bkt", region: "eu-west-1"),
            credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "b"),
            logger: Self.logger
        )
        let address = store.address(key: "backups/a b")
        #expect(address.url == "https://bkt.s3.eu-west-1.amazonaws.com/backups/a%20b")
        #expect(address.host == "bkt.s3.eu-west-1.amazonaws.com")
        let pathStyle = try S3ObjectStore(
            configuration: S3Configuration(bucket: "bkt", endpoint: "http://minio:9000/base", forcePathStyle: true),
            credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "b"),
            logger: Self.logger
        )
        #expect(pathStyle.address(key: "k+1").url == "http://minio:9000/base/bkt/k%2B1")
    }
}
