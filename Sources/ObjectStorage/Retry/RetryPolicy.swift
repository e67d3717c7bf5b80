public import Logging

/// When and how long to wait before retrying a failed store operation: exponential backoff with full jitter.
///
/// Delay before retry *n* (1-based) is a random value in `[0, min(maxBackoff, initialBackoff × multiplierⁿ⁻¹)]`.
/// The clock and the random source are injected so tests run without real waiting.
public struct RetryPolicy: Sendable {
    /// Total attempts, the first one included (1 = no retries).
    public var maxAttempts: Int
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    public var multiplier: Double
    /// The clock used to sleep between attempts.
    public var clock: any Clock<Duration>
    /// Returns a value in `[0, 1)`; the jitter source.
    public var random: @Sendable () -> Double
    /// Decides whether an error is worth retrying (default: `RetryPolicy.isRetryable`).
    public var shouldRetry: @Sendable (any Error) -> Bool

    public init(
        maxAttempts: Int = 6,
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(10),
        multiplier: Double = 2,
        clock: any Clock<Duration> = ContinuousClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        shouldRetry: @escaping @Sendable (any Error) -> Bool = RetryPolicy.isRetryable
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = max(1, multiplier)
        self.clock = clock
        self.random = random
        self.shouldRetry = shouldRetry
    }

    /// No retries at all.
    public static var none: RetryPolicy { RetryPolicy(maxAttempts: 1) }

    /// Retryable errors: `ObjectStoreError` with code `.unavailable` (5xx, SlowDown, timeouts,
    /// connection resets, unreachable endpoints). Never cancellation.
    public static func isRetryable(_ error: any Error) -> Bool {
        if error is CancellationError { return false }
        if let error = error as? ObjectStoreError { return error.code == .unavailable }
        return false
    }

    /// The upper bound of the delay before retry number `retry` (1-based).
    public func backoffCeiling(retry: Int) -> Duration {
        var ceiling = initialBackoff
        var step = 1
        while step < retry && ceiling < maxBackoff {
            ceiling = ceiling * multiplier
            step += 1
        }
        return min(ceiling, maxBackoff)
    }

    /// The jittered delay before retry number `retry` (1-based).
    public func delay(retry: Int) -> Duration {
        backoffCeiling(retry: retry) * min(max(random(), 0), 1)
    }

    /// Runs `operation`, retrying retryable failures with backoff.
    /// - Parameters:
    ///   - what: a short description for the log (`PUT backups/b1/b1.tar.gz`).
    ///   - logger: retries are logged at debug level.
    public func run<T>(
        _ what: String = "operation",
        logger: Logger? = nil,
        _ operation: () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch {
                guard attempt < maxAttempts, shouldRetry(error) else { throw error }
                let wait = delay(retry: attempt)
                logger?.debug(
                    "retrying after error",
                    metadata: [
                        "object.operation": "\(what)", "retry.attempt": "\(attempt)", "retry.delay": "\(wait)",
                        "error": "\(error)",
                    ]
                )
                try await clock.sleep(for: wait)
                attempt += 1
            }
        }
    }
}
