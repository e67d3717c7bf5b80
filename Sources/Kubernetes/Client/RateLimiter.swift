import Synchronization

/// A token bucket (QPS refill, burst capacity) shared by all requests of a client.
///
/// ``acquire()`` reserves a token inside the lock and sleeps outside it, so waiters are served in order.
final class RateLimiter: Sendable {
    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }
    private let qps: Double
    private let burst: Double
    private let state: Mutex<State>

    init(qps: Double, burst: Int) {
        self.qps = qps
        self.burst = Double(max(1, burst))
        state = Mutex(State(tokens: Double(max(1, burst)), last: .now))
    }

    /// Waits until a request may be sent.
    func acquire() async throws {
        guard qps > 0 else { return }
        let wait: Double = state.withLock { s in
            let now = ContinuousClock.now
            let elapsed = s.last.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            s.tokens = min(burst, s.tokens + seconds * qps)
            s.last = now
            s.tokens -= 1
            return s.tokens >= 0 ? 0 : -s.tokens / qps
        }
        if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
    }
}
