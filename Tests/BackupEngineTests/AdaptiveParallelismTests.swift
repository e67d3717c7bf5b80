import Testing

@testable import BackupEngine

/// The restore's adaptive number of writers against a model API server: each write takes `latency` while the
/// server has room, and the server completes at most `capacity` writes a second (so more writers only queue).
struct AdaptiveParallelismTests {
    /// Runs `writes` completions through the model; returns the limits used and the rate reached at the end.
    static func simulate(
        latency: Double,
        capacity: Double,
        writes: Int = 20_000,
        throttleAbove: Int? = nil,
        start: AdaptiveParallelism = AdaptiveParallelism()
    ) -> (limits: [Int], finalRate: Double) {
        var parallelism = start
        var now = 0.0
        var limits: [Int] = []
        for _ in 0..<writes {
            let rate = min(Double(parallelism.limit) / latency, capacity)
            now += 1 / rate
            let throttled = throttleAbove.map { parallelism.limit > $0 } ?? false
            let limit = parallelism.completed(at: .nanoseconds(Int64(now * 1e9)), throttled: throttled)
            if limits.last != limit { limits.append(limit) }
        }
        return (limits, min(Double(parallelism.limit) / latency, capacity))
    }

    @Test func aSlowServerGetsMoreWritersUntilItsCeiling() {
        // 50 ms per write, 1,000 writes/s at most: 50 writers reach it; 16 reach a third.
        let run = Self.simulate(latency: 0.050, capacity: 1000)
        #expect(run.finalRate >= 900, "limits \(run.limits)")
        #expect(run.limits.max() ?? 0 < 256, "never runs away to the maximum: \(run.limits)")
    }

    @Test func aFastServerKeepsFewWriters() {
        // 2 ms per write, 2,000 writes/s: 4 writers saturate it; the climb stops where more no longer pays.
        let run = Self.simulate(latency: 0.002, capacity: 2000)
        #expect(run.finalRate >= 1800, "limits \(run.limits)")
        #expect((run.limits.last ?? 0) <= 24, "limits \(run.limits)")
    }

    @Test func throttlingShrinksTheLimit() {
        // The server answers 429 once more than 20 writes run; the limit ends at or below that.
        let run = Self.simulate(latency: 0.050, capacity: 5000, throttleAbove: 20)
        #expect((run.limits.last ?? 0) <= 20 || run.limits.suffix(4).contains { $0 <= 20 }, "limits \(run.limits)")
        #expect(run.limits.contains { $0 > 20 }, "it probed upwards first: \(run.limits)")
    }

    @Test func limitsStayWithinTheBounds() {
        var parallelism = AdaptiveParallelism(initial: 1000, minimum: 2, maximum: 64)
        #expect(parallelism.limit == 64)
        for index in 1...5000 { parallelism.completed(at: .milliseconds(index), throttled: true) }
        #expect(parallelism.limit == 2)
    }
}
