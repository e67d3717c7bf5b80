import Logging
import NIOCore
import ObjectStorage
import ObjectStorageTesting
import Synchronization
import Testing

struct RetryPolicyTests {
    @Test func backoffGrowsExponentiallyUpToTheCap() {
        let policy = RetryPolicy(
            initialBackoff: .milliseconds(100),
            maxBackoff: .seconds(1),
            multiplier: 2,
            random: { 0.999_999 }
        )
        #expect(policy.backoffCeiling(retry: 1) == .milliseconds(100))
        #expect(policy.backoffCeiling(retry: 2) == .milliseconds(200))
        #expect(policy.backoffCeiling(retry: 4) == .milliseconds(800))
        #expect(policy.backoffCeiling(retry: 5) == .seconds(1))
        #expect(policy.backoffCeiling(retry: 30) == .seconds(1))
        #expect(policy.delay(retry: 3) <= .milliseconds(400))
        #expect(policy.delay(retry: 3) > .milliseconds(399))
    }

    @Test func jitterScalesTheDelay() {
        let policy = RetryPolicy(initialBackoff: .milliseconds(100), random: { 0.5 })
        #expect(policy.delay(retry: 1) == .milliseconds(50))
    }

    @Test func retriesOnlyRetryableErrors() async throws {
        let calls = Mutex(0)
        let policy = RetryPolicy(maxAttempts: 5, initialBackoff: .zero)
        await #expect(throws: ObjectStoreError.self) {
            try await policy.run {
                calls.withLock { $0 += 1 }
                throw ObjectStoreError(code: .accessDenied, message: "denied")
            }
        }
        #expect(calls.withLock { $0 } == 1)
        calls.withLock { $0 = 0 }
        let value = try await policy.run {
            let n = calls.withLock { n in
                n += 1
                return n
            }
            if n < 3 { throw ObjectStoreError(code: .unavailable, message: "503") }
            return n
        }
        #expect(value == 3)
    }

    @Test func givesUpAfterMaxAttempts() async throws {
        let calls = Mutex(0)
        let policy = RetryPolicy(maxAttempts: 3, initialBackoff: .zero)
        await #expect(throws: ObjectStoreError.self) {
            try await policy.run {
                calls.withLock { $0 += 1 }
                throw ObjectStoreError(code: .unavailable, message: "503")
            }
        }
        #expect(calls.withLock { $0 } == 3)
    }

    @Test func retryingStoreRecoversFromFaultsWithoutCorruption() async throws {
        let faulty = FaultyObjectStore(base: MemoryObjectStore())
        let error = ObjectStoreError(code: .unavailable, message: "connection reset")
        faulty.addFault(.put, .init(error: error, times: 3, afterBody: true))
        faulty.addFault(.get, .init(error: error, times: 2))
        let store = RetryingObjectStore(
            base: faulty,
            configuration: .init(policy: RetryPolicy(maxAttempts: 5, initialBackoff: .zero)),
            logger: .init(label: "test")
        )
        let bytes = ObjectStoreConformance.pattern(100_000)
        try await store.put("k", body: ObjectStoreConformance.chunked(bytes, chunk: 999), length: bytes.count)
        #expect(Array(try await store.getData("k").readableBytesView) == bytes)
        #expect(faulty.calls(.put) == 4)
        #expect(faulty.calls(.get) == 3)
    }

    @Test func midStreamGetFaultSurfaces() async throws {
        let faulty = FaultyObjectStore(base: MemoryObjectStore())
        try await faulty.putData("k", bytes: ObjectStoreConformance.pattern(10))
        faulty.addFault(.get, .init(error: ObjectStoreError(code: .unavailable, message: "reset"), midStream: true))
        await #expect(throws: ObjectStoreError.self) { _ = try await faulty.getData("k") }
        #expect(try await faulty.getData("k").readableBytes == 10)
    }
}
