public import Logging

/// One retry about to happen, as told to ``RetryPolicy/observer`` (e.g. for a progress line).
public struct RetryNotice: Sendable {
    /// The operation (`PUT backups/b1/b1.tar.gz`).
    public var operation: String
    /// The attempt that failed (1-based).
    public var failedAttempt: Int
    /// The attempts allowed in all.
    public var maxAttempts: Int
    /// The wait before the next attempt.
    public var delay: Duration
    /// Why the attempt failed.
    public var error: any Error

    public init(operation: String, failedAttempt: Int, maxAttempts: Int, delay: Duration, error: any Error) {
        self.operation = operation
        self.failedAttempt = failedAttempt
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.error = error
    }

    /// `retrying PUT k (attempt 2 of 6 in 0.3 s): <first line of the error>`.
    public var summary: String {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        let reason = "\(error)".split(separator: "\n").first.map(String.init) ?? ""
        return "retrying \(operation) (attempt \(failedAttempt + 1) of \(maxAttempts) in "
            + "\((seconds * 10).rounded() / 10) s): \(reason)"
    }
}

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
    /// Told about each retry before its wait (the CLI shows it on the progress line).
    public var observer: (@Sendable (RetryNotice) -> Void)?

    public init(
        maxAttempts: Int = 6,
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(10),
        multiplier: Double = 2,
        clock: any Clock<Duration> = ContinuousClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        shouldRetry: @escaping @Sendable (any Error) -> Bool = RetryPolicy.isRetryable,
        observer: (@Sendable (RetryNotice) -> Void)? = nil
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = max(1, multiplier)
        self.clock = clock
        self.random = random
        self.shouldRetry = shouldRetry
        self.observer = observer
    }

    /// No retries at all.
    public static var none: RetryPolicy { RetryPolicy(maxAttempts: 1) }

    /// Retryable errors: `ObjectStoreError` with code `.unavailable` (5xx, SlowDown, timeouts,
    /// connection resets): what can recover. Never cancellation, never `.unreachable` (a refused
    /// connection, a host name that does not resolve).
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
                observer?(
                    RetryNotice(
                        operation: what,
                        failedAttempt: attempt,
                        maxAttempts: maxAttempts,
                        delay: wait,
                        error: error
                    )
                )
                try await clock.sleep(for: wait)
                attempt += 1
            }
        }
    }
}
