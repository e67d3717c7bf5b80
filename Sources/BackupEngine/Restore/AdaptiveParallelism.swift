/// How many objects a restore writes at once when the user did not fix it (`restore create` without
/// `--parallelism`): a hill climb on the measured create rate, so that the restore reaches what the API server
/// sustains instead of a fixed 16.
///
/// The restore reports each finished write with the time since the level started (an injected clock: the
/// decisions are a pure function of the reports). Writes are measured in windows of at least ``windowSize``
/// completions and ``minimumWindow`` of time. After each window:
/// - a throttled write in it (HTTP 429, API Priority and Fairness rejections) shrinks the limit by a quarter, and
///   the climb starts again from there without passing the limit that was throttled;
/// - while the rate keeps rising by more than ``gain`` the limit grows by half;
/// - once a larger limit no longer pays, the limit goes back to the last one that did and stays there (more writers
///   would only add load), re-probing upwards after ``settleWindows`` windows in case the server got faster.
///
/// ```swift
/// var parallelism = AdaptiveParallelism()
/// let limit = parallelism.completed(at: clock.now - start, throttled: false)
/// ```
package struct AdaptiveParallelism: Sendable {
    /// The number of writes to run at once now.
    package private(set) var limit: Int
    package let minimum: Int
    package let maximum: Int
    /// The least rise of the rate that counts as a gain (5 %).
    package static let gain = 1.05
    /// Windows spent at a settled limit before probing upwards again.
    package static let settleWindows = 8
    /// The least time a window lasts.
    package static let minimumWindow = Duration.milliseconds(100)

    private var windowStart: Duration = .zero
    private var completions = 0
    private var throttled = 0
    /// The limit and rate of the best window of the current climb.
    private var best: (limit: Int, rate: Double)?
    /// Windows left before a settled limit probes upwards.
    private var settledFor: Int?
    /// Below the limit at which the server last pushed back: the climb does not pass it until the next probe.
    private var ceiling: Int?

    package init(initial: Int = 16, minimum: Int = 4, maximum: Int = 256) {
        self.minimum = max(1, minimum)
        self.maximum = max(self.minimum, maximum)
        limit = min(max(initial, self.minimum), self.maximum)
    }

    /// Completions per window: enough to see the rate at this limit.
    var windowSize: Int { max(16, limit * 2) }

    /// One write finished `now` (time since the restore level started); `throttled` when the server pushed back.
    /// Returns the limit to use from now on.
    @discardableResult
    package mutating func completed(at now: Duration, throttled wasThrottled: Bool = false) -> Int {
        completions += 1
        if wasThrottled { throttled += 1 }
        let elapsed = now - windowStart
        guard completions >= windowSize, elapsed >= Self.minimumWindow else { return limit }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(completions) / seconds
        decide(rate: rate, throttled: throttled > 0)
        windowStart = now
        completions = 0
        throttled = 0
        return limit
    }

    private mutating func decide(rate: Double, throttled: Bool) {
        if throttled {
            ceiling = max(minimum, limit - 1)
            limit = max(minimum, limit * 3 / 4)
            best = nil
            settledFor = nil
            return
        }
        if let remaining = settledFor {
            // Settled: stay, and probe upwards now and then (the server may have become faster).
            if remaining > 1 {
                settledFor = remaining - 1
                best = best.map { ($0.limit, max($0.rate, rate)) }
                return
            }
            settledFor = nil
            ceiling = nil
            best = (limit, rate)
            grow()
            return
        }
        guard let previous = best else {
            best = (limit, rate)
            grow()
            return
        }
        if rate > previous.rate * Self.gain {
            best = (limit, rate)
            grow()
        } else {
            limit = previous.limit
            settledFor = Self.settleWindows
        }
    }

    private mutating func grow() {
        let cap = min(maximum, ceiling ?? maximum)
        let next = min(cap, max(limit + 1, limit * 3 / 2))
        if next <= limit {
            settledFor = Self.settleWindows
        } else {
            limit = next
        }
    }

}
