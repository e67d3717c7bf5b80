import HeapModule
import Synchronization

/// A rate-free work queue with client-go's guarantees: a key is queued at most once, never processed by
/// two workers at once (adding it while it is processed queues it again once ``done(_:)`` is called), and
/// may be added after a delay (``add(_:after:)``, run by ``runDelays()``).
///
/// Keys are served in two lanes, each first in, first out: a key the `isUrgent` function (asked when the key
/// is queued) calls urgent goes before every other one, and a queued key that becomes urgent moves up. A
/// node agent's urgent keys are the loads already under way, so a burst of thousands of New loads does not
/// hold back the loads it is preparing and running (controller-runtime's priority queue does the same for
/// the objects of an informer's initial list).
///
/// ```swift
/// queue.add(key)
/// while let key = await queue.next() { defer { queue.done(key) }; ... }
/// ```
final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    /// A key waiting for its deadline; ties keep the order they were added in.
    private struct Delayed: Comparable {
        var deadline: ContinuousClock.Instant
        var sequence: Int
        var key: Key

        static func < (a: Delayed, b: Delayed) -> Bool { (a.deadline, a.sequence) < (b.deadline, b.sequence) }
        static func == (a: Delayed, b: Delayed) -> Bool { a.deadline == b.deadline && a.sequence == b.sequence }
    }

    /// One first-in, first-out lane of ready keys.
    private struct Lane {
        var keys: [Key] = []
        var head = 0
        var count: Int { keys.count - head }

        mutating func pop() -> Key? {
            guard head < keys.count else { return nil }
            let key = keys[head]
            head += 1
            if head > 1024 && head * 2 > keys.count {
                keys.removeFirst(head)
                head = 0
            }
            return key
        }
    }

    private struct State {
        /// Ready keys: `lanes[0]` urgent, `lanes[1]` the others. A key moved up to the urgent lane leaves a
        /// stale entry in the other one, skipped when it comes up (its `dirty` lane no longer matches).
        var lanes = [Lane(), Lane()]
        /// Queued keys (ready, or to be queued again once processed) and their lane.
        var dirty: [Key: Int] = [:]
        var processing: Set<Key> = []
        var waiters: [Int: CheckedContinuation<Key?, Never>] = [:]
        var nextWaiter = 0
        var delayed = Heap<Delayed>()
        var sequence = 0
        var closed = false
        /// The deadline the delay runner sleeps until (nil: it is not sleeping), and how to wake it early.
        var sleepingUntil: ContinuousClock.Instant?
        var alarm: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    /// How late a delayed key may be queued (nearby deadlines share one wake-up of the delay runner).
    let tolerance: Duration
    /// Whether a key goes to the urgent lane (asked each time it is queued).
    let isUrgent: @Sendable (Key) -> Bool

    init(tolerance: Duration = .milliseconds(5), isUrgent: @escaping @Sendable (Key) -> Bool = { _ in false }) {
        self.tolerance = tolerance
        self.isUrgent = isUrgent
    }

    /// Queues `key` now (no effect when it is already queued, except that an urgent key moves up).
    func add(_ key: Key) {
        let lane = isUrgent(key) ? 0 : 1
        let resume: (CheckedContinuation<Key?, Never>, Key)? = state.withLock { s in
            guard !s.closed else { return nil }
            if let queued = s.dirty[key] {
                guard lane < queued else { return nil }
                s.dirty[key] = lane
                if !s.processing.contains(key) { s.lanes[lane].keys.append(key) }
                return nil
            }
            guard !s.processing.contains(key) else {
                s.dirty[key] = lane
                return nil
            }
            if let (id, waiter) = s.waiters.first {
                s.waiters[id] = nil
                s.processing.insert(key)
                return (waiter, key)
            }
            s.dirty[key] = lane
            s.lanes[lane].keys.append(key)
            return nil
        }
        if let (waiter, key) = resume { waiter.resume(returning: key) }
    }

    /// Takes the next ready key, urgent lane first (lock held).
    private static func takeReady(_ s: inout State) -> Key? {
        for lane in s.lanes.indices {
            while let key = s.lanes[lane].pop() {
                guard s.dirty[key] == lane, !s.processing.contains(key) else { continue }
                s.dirty[key] = nil
                s.processing.insert(key)
                return key
            }
        }
        return nil
    }

    /// Queues `key` once `delay` has passed (see ``runDelays()``).
    func add(_ key: Key, after delay: Duration) {
        guard delay > .zero else { return add(key) }
        let deadline = ContinuousClock.now + delay
        let alarm: CheckedContinuation<Void, Never>? = state.withLock { s in
            guard !s.closed else { return nil }
            s.sequence += 1
            s.delayed.insert(Delayed(deadline: deadline, sequence: s.sequence, key: key))
            // Wake the runner when it sleeps past this deadline by more than its tolerance.
            guard let until = s.sleepingUntil, deadline < until - tolerance else { return nil }
            s.sleepingUntil = nil
            defer { s.alarm = nil }
            return s.alarm
        }
        alarm?.resume()
    }

    /// The next key to process, or nil once the queue is shut down or the task is cancelled. Call
    /// ``done(_:)`` when finished with it.
    func next() async -> Key? {
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
                    if let key = Self.takeReady(&s) { return .some(key) }
                    s.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { s in s.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    /// Marks `key` processed; it is queued again if it was added meanwhile.
    func done(_ key: Key) {
        let resume: CheckedContinuation<Key?, Never>? = state.withLock { s in
            s.processing.remove(key)
            guard let lane = s.dirty[key], !s.closed else { return nil }
            if let (id, waiter) = s.waiters.first {
                s.waiters[id] = nil
                s.dirty[key] = nil
                s.processing.insert(key)
                return waiter
            }
            s.lanes[lane].keys.append(key)
            return nil
        }
        resume?.resume(returning: key)
    }

    /// Moves delayed keys into the queue when their deadline comes, until the task is cancelled or the queue
    /// shut down. It sleeps until the earliest deadline (woken early when an earlier one is added), so an idle
    /// queue costs nothing; a key may be late by up to ``tolerance``, which lets nearby deadlines share one
    /// wake-up.
    func runDelays() async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let step: (due: [Key], next: ContinuousClock.Instant?)? = state.withLock { s in
                if s.closed { return nil }
                var keys: [Key] = []
                while let top = s.delayed.min, top.deadline <= now + tolerance { keys.append(s.delayed.removeMin().key) }
                return (keys, s.delayed.min?.deadline)
            }
            guard let step else { return }
            for key in step.due { add(key) }
            guard step.due.isEmpty else { continue }
            await sleep(until: step.next)
        }
    }

    /// Sleeps until `deadline` (nil: until a delayed key is added), an earlier deadline is added, or the
    /// task is cancelled.
    private func sleep(until deadline: ContinuousClock.Instant?) async {
        let target = deadline ?? .now + .seconds(86_400)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let ready: Bool = self.state.withLock { s in
                            // Something due before the target arrived meanwhile, or shut down: do not sleep.
                            if s.closed || Task.isCancelled { return true }
                            if let first = s.delayed.min?.deadline, first < target - self.tolerance { return true }
                            s.sleepingUntil = target
                            s.alarm = continuation
                            return false
                        }
                        if ready { continuation.resume() }
                    }
                } onCancel: {
                    let alarm = self.state.withLock { s in
                        s.sleepingUntil = nil
                        defer { s.alarm = nil }
                        return s.alarm
                    }
                    alarm?.resume()
                }
            }
            group.addTask { try? await Task.sleep(until: target, tolerance: self.tolerance, clock: .continuous) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Wakes every waiting worker with nil; later calls to ``next()`` return nil.
    func shutDown() {
        let (waiters, alarm) = state.withLock { s in
            s.closed = true
            defer {
                s.waiters = [:]
                s.alarm = nil
                s.sleepingUntil = nil
            }
            return (Array(s.waiters.values), s.alarm)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        alarm?.resume()
    }

    /// Keys queued now or waiting for their delay (for tests and diagnostics).
    var pendingCount: Int { state.withLock { s in s.dirty.count - s.dirty.keys.count(where: s.processing.contains) + s.delayed.count } }
}
