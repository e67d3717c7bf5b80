import Synchronization

/// A work queue with client-go's guarantees: a key is queued at most once, never handed to two workers at
/// once (adding it while it is processed queues it again once ``done(_:)`` is called), may be added after a
/// delay (``add(_:after:)``), and may be requeued with per-key exponential backoff (``addRateLimited(_:)``,
/// reset by ``forget(_:)``).
///
/// Keys are served first in, first out, in two lanes: a key the `isUrgent` function (asked when the key is
/// queued) calls urgent goes before every other one. Delayed keys are queued at their deadline by
/// ``runDelays()``, which sleeps on the injected clock until the earliest deadline (no polling); run it beside
/// the workers (``Controller`` does).
///
/// ```swift
/// let queue = WorkQueue<NamespacedName, ContinuousClock>()
/// queue.add(key)
/// while let key = await queue.next() { defer { queue.done(key) }; ... }
/// ```
public final class WorkQueue<Key: Hashable & Sendable, C: Clock>: Sendable where C.Duration == Duration {
    /// The per-key exponential backoff of ``addRateLimited(_:)``: `base × 2^failures`, at most `maximum`.
    public struct Backoff: Sendable, Hashable {
        /// The first delay (client-go: 5 ms).
        public var base: Duration
        /// The longest delay (client-go: 1000 s).
        public var maximum: Duration

        /// client-go's `DefaultItemBasedRateLimiter` delays by default.
        public init(base: Duration = .milliseconds(5), maximum: Duration = .seconds(1000)) {
            self.base = base
            self.maximum = maximum
        }

        /// The delay after `failures` earlier failures.
        public func delay(failures: Int) -> Duration {
            var delay = base
            for _ in 0..<max(0, failures) {
                if delay >= maximum { break }
                delay = delay * 2
            }
            return min(delay, maximum)
        }
    }

    private let state: Mutex<WorkQueueState<Key, C.Instant>>
    /// The time source of delays.
    public let clock: C
    /// The delays of ``addRateLimited(_:)``.
    public let backoff: Backoff
    /// How late the delay timer may wake (passed to the clock's `sleep`; keys are never queued early).
    let tolerance: Duration?
    let isUrgent: @Sendable (Key) -> Bool

    /// Creates an empty queue.
    ///
    /// - Parameters:
    ///   - clock: the time source of delays and backoff.
    ///   - backoff: the per-key backoff of ``addRateLimited(_:)``.
    ///   - tolerance: how late the delay timer may wake, so nearby deadlines share one wake-up.
    ///   - isUrgent: whether a key goes before the others (asked each time it is queued).
    public init(
        clock: C,
        backoff: Backoff = Backoff(),
        tolerance: Duration? = nil,
        isUrgent: @escaping @Sendable (Key) -> Bool = { _ in false }
    ) {
        self.clock = clock
        self.backoff = backoff
        self.tolerance = tolerance
        self.isUrgent = isUrgent
        state = Mutex(WorkQueueState())
    }

    // MARK: Adding

    /// Queues `key` now (no effect when it is already queued, except that an urgent key moves up).
    public func add(_ key: Key) {
        let lane = isUrgent(key) ? 0 : 1
        for handOff in state.withLock({ $0.add(key, lane: lane) }) { handOff.resume() }
    }

    /// Queues `key` once `delay` has passed on the clock (at once when `delay` is not positive). A key already
    /// waiting keeps the earlier of its two deadlines.
    public func add(_ key: Key, after delay: Duration) {
        guard delay > .zero else { return add(key) }
        let deadline = clock.now.advanced(by: delay)
        let alarm = state.withLock { $0.addDelayed(key, deadline: deadline) }
        alarm?.resume()
    }

    /// Queues `key` after its backoff (``Backoff``) and counts one more failure of it.
    ///
    /// - Returns: the delay used.
    @discardableResult
    public func addRateLimited(_ key: Key) -> Duration {
        let failures = state.withLock { s in
            defer { s.failures[key, default: 0] += 1 }
            return s.failures[key, default: 0]
        }
        let delay = backoff.delay(failures: failures)
        add(key, after: delay)
        return delay
    }

    /// Forgets the failures of `key` (its next ``addRateLimited(_:)`` waits ``Backoff/base`` again).
    public func forget(_ key: Key) { state.withLock { _ = $0.failures.removeValue(forKey: key) } }

    /// How many times `key` was requeued by ``addRateLimited(_:)`` since it was last forgotten.
    public func failures(of key: Key) -> Int { state.withLock { $0.failures[key, default: 0] } }

    // MARK: Taking

    /// The next key to process, waiting for one; nil once the queue is shut down or the task is cancelled.
    /// Call ``done(_:)`` when finished with it.
    public func next() async -> Key? {
        let id: Int? = state.withLock { s in
            if s.closed { return nil }
            s.nextWaiter += 1
            return s.nextWaiter
        }
        guard let id else { return nil }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Key?, Never>) in
                let immediate: Key?? = state.withLock { s in
                    if s.closed || Task.isCancelled { return .some(nil) }
                    if let key = s.takeReady() { return .some(key) }
                    s.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    /// Marks `key` processed; it is queued again if it was added meanwhile.
    public func done(_ key: Key) {
        for handOff in state.withLock({ $0.done(key) }) { handOff.resume() }
    }

    // MARK: Delays and shutdown

    /// Queues delayed keys at their deadline until the queue is shut down or the task is cancelled. It sleeps
    /// until the earliest deadline and is woken early when an earlier one is added, so an idle queue costs
    /// nothing.
    public func runDelays() async {
        while !Task.isCancelled {
            let now = clock.now
            let step: (due: [Key], next: C.Instant?)? = state.withLock { s in
                if s.closed { return nil }
                return (s.takeDue(now: now), s.earliestDeadline)
            }
            guard let step else { return }
            for key in step.due { add(key) }
            guard step.due.isEmpty else { continue }
            await sleep(until: step.next)
        }
    }

    /// Sleeps until `deadline` (nil: until a delayed key is added), an earlier deadline is added, shutdown, or
    /// cancellation.
    private func sleep(until deadline: C.Instant?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let sleeping = self.state.withLock { s in
                            !Task.isCancelled && s.setAlarm(continuation, until: deadline)
                        }
                        if !sleeping { continuation.resume() }
                    }
                } onCancel: {
                    self.state.withLock { $0.takeAlarm() }?.resume()
                }
            }
            if let deadline {
                group.addTask { try? await self.clock.sleep(until: deadline, tolerance: self.tolerance) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Wakes every waiting worker with nil and stops ``runDelays()``; later calls to ``next()`` return nil and
    /// later adds are ignored. Keys being processed may still be passed to ``done(_:)``.
    public func shutDown() {
        let (waiters, alarm) = state.withLock { s in
            s.closed = true
            defer { s.waiters = [:] }
            return (Array(s.waiters.values), s.takeAlarm())
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        alarm?.resume()
    }

    // MARK: Inspection

    /// Whether ``shutDown()`` was called.
    public var isShutDown: Bool { state.withLock { $0.closed } }
    /// Keys ready to be handed out now (not counting those being processed or delayed).
    public var readyCount: Int { state.withLock { $0.readyCount } }
    /// Keys being processed (handed out by ``next()``, not yet ``done(_:)``).
    public var processingCount: Int { state.withLock { $0.processing.count } }
    /// Keys waiting for their delay.
    public var delayedCount: Int { state.withLock { $0.waiting.count } }
}

extension WorkQueue where C == ContinuousClock {
    /// A queue on the continuous clock.
    public convenience init(
        backoff: Backoff = Backoff(),
        tolerance: Duration? = nil,
        isUrgent: @escaping @Sendable (Key) -> Bool = { _ in false }
    ) {
        self.init(clock: ContinuousClock(), backoff: backoff, tolerance: tolerance, isUrgent: isUrgent)
    }
}
