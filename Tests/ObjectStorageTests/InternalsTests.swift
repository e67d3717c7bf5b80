import Foundation
import NIOCore
import ObjectStorageTesting
import Synchronization
import Testing

@testable import ObjectStorage

/// Pure pieces tested without I/O: part cutting, XML, listing roll-up, key rules, the injected clock.
struct InternalsTests {
    @Test(arguments: [1, 7, 100, 4096, 10_000])
    func partReaderCutsExactParts(chunk: Int) async throws {
        let bytes = ObjectStoreConformance.pattern(25_001)
        var reader = PartReader(iterator: ObjectStoreConformance.chunked(bytes, chunk: chunk).makeAsyncIterator())
        var parts: [Int] = []
        var joined: [UInt8] = []
        while let part = try await reader.next(size: 5000) {
            parts.append(part.readableBytes)
            joined += Array(part.readableBytesView)
        }
        #expect(parts == [5000, 5000, 5000, 5000, 5000, 1])
        #expect(joined == bytes)
    }

    @Test func xmlEntitiesAndElements() {
        let xml: Substring = """
            <ListBucketResult><Contents><Key>a &amp; b &lt;c&gt; &quot;q&quot; &apos;s&apos; &#233;&#x1F680;</Key>\
            <Size>12</Size></Contents><Contents><Key>second</Key><Size>0</Size></Contents>\
            <IsTruncated>false</IsTruncated></ListBucketResult>
            """
        let contents = S3XML.elements("Contents", in: xml)
        #expect(contents.count == 2)
        #expect(S3XML.value("Key", in: contents[0]) == "a & b <c> \"q\" 's' é🚀")
        #expect(S3XML.value("Size", in: contents[0]) == "12")
        #expect(S3XML.value("IsTruncated", in: xml) == "false")
        #expect(S3XML.escape("a&<>\"'") == "a&amp;&lt;&gt;&quot;&apos;")
    }

    @Test func rollupFollowsS3() {
        let infos = ["a/b", "a/c/d", "a-x", "ab", "b", "a/c/e"].map { ObjectInfo(key: $0, size: 1) }
        let names = ListingRollup.list(infos, prefix: "a", delimiter: "/").map(ListingPager.name(of:))
        #expect(names == ["a-x", "a/", "ab"])
        let deeper = ListingRollup.list(infos, prefix: "a/", delimiter: "/").map(ListingPager.name(of:))
        #expect(deeper == ["a/b", "a/c/"])
        let page = ListingPager.page(ListingRollup.list(infos, prefix: "", delimiter: nil), after: "a/c/d", size: 2)
        #expect(page.entries.map(ListingPager.name(of:)) == ["a/c/e", "ab"])
        #expect(page.next == "ab")
    }

    @Test(arguments: ["a", "a/b", "with space", "ü/日本", "a.b/..c", ".hidden/x"])
    func validKeys(_ key: String) throws {
        try ObjectKey.validate(key)
    }

    @Test func dateFormats() {
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        #expect(UTCDateFormat.compactISO8601(date) == "20150830T123600Z")
        #expect(UTCDateFormat.parseISO8601("2015-08-30T12:36:00.000Z") == date)
        #expect(HTTPDate.parse("Sun, 30 Aug 2015 12:36:00 GMT") == date)
    }

    @Test func checksumsMatchKnownValues() {
        let buffer = ByteBuffer(string: "hello")
        // CRC32("hello") = 0x3610a686, CRC32C("hello") = 0x9a71bb4c.
        #expect(S3Checksum.value(.crc32, of: buffer) == Data([0x36, 0x10, 0xA6, 0x86]).base64EncodedString())
        #expect(S3Checksum.value(.crc32c, of: buffer) == Data([0x9A, 0x71, 0xBB, 0x4C]).base64EncodedString())
    }

    /// A clock that records requested sleeps and returns at once.
    struct RecordingClock: Clock {
        typealias Instant = ContinuousClock.Instant
        let sleeps = Recorder()
        var now: Instant { .now }
        var minimumResolution: Duration { .zero }
        func sleep(until deadline: Instant, tolerance: Duration?) async throws {
            sleeps.values.withLock { $0.append(deadline - .now) }
        }
        final class Recorder: Sendable {
            let values = Mutex<[Duration]>([])
        }
    }

    @Test func backoffSleepsOnTheInjectedClock() async throws {
        let clock = RecordingClock()
        let policy = RetryPolicy(
            maxAttempts: 4,
            initialBackoff: .seconds(1),
            maxBackoff: .seconds(3),
            clock: clock,
            random: { 0.5 }
        )
        let attempts = Mutex(0)
        await #expect(throws: ObjectStoreError.self) {
            try await policy.run {
                attempts.withLock { $0 += 1 }
                throw ObjectStoreError(code: .unavailable, message: "503")
            }
        }
        #expect(attempts.withLock { $0 } == 4)
        let slept = clock.sleeps.values.withLock { $0 }
        #expect(slept.count == 3)
        // 0.5 × 1 s, 0.5 × 2 s, 0.5 × min(4 s, 3 s), give or take the time between the two clock readings.
        for (actual, expected) in zip(slept, [Duration.milliseconds(500), .seconds(1), .milliseconds(1500)]) {
            #expect(abs((actual - expected) / .milliseconds(1)) < 50, "\(actual) vs \(expected)")
        }
    }

    @Test(arguments: ["memory", "filesystem"])
    func readersSeeWholeObjectsDuringOverwrites(_ backend: String) async throws {
        try await withTemporaryFolder { folder in
            let store: any ObjectStore =
                backend == "memory"
                ? MemoryObjectStore() : try FilesystemObjectStore(root: folder, configuration: .init(sync: false))
            let versions = (0..<4).map { ObjectStoreConformance.pattern(200_000, seed: UInt64($0 + 1)) }
            try await store.putData("k", bytes: versions[0])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for round in 1..<20 { try await store.putData("k", bytes: versions[round % versions.count]) }
                }
                group.addTask {
                    for _ in 0..<20 {
                        let read = Array(try await store.getData("k").readableBytesView)
                        #expect(versions.contains(read), "a reader saw a partial or mixed object")
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
