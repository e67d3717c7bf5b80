import HeapModule
import Synchronization

/// A rate-free work queue with client-go's guarantees: a key is queued at most once, never processed by
/// two workers at once (adding it while it is processed queues it again once ``done(_:)`` is called), and
/// may be added after a delay.
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

    private struct State {
        var ready: [Key] = []
        var readyIndex = 0
        var dirty: Set<Key> = []
        var processing: Set<Key> = []
        var waiters: [Int: CheckedContinuation<Key?, Never>] = [:]
        var nextWaiter = 0
        var delayed = Heap<Delayed>()
        var sequence = 0
        var closed = false
    }

    private let state = Mutex(State())

    init() {}

    /// Queues `key` now (no effect when it is already queued).
    func add(_ key: Key) {
        let resume: (CheckedContinuation<Key?, Never>, Key)? = state.withLock { s in
            guard !s.closed, !s.dirty.contains(key) else { return nil }
            s.dirty.insert(key)
            guard !s.processing.contains(key) else { return nil }
            if let (id, waiter) = s.waiters.first {
                s.waiters[id] = nil
                s.dirty.remove(key)
                s.processing.insert(key)
                return (waiter, key)
            }
            s.ready.append(key)
            return nil
        }
        if let (waiter, key) = resume { waiter.resume(returning: key) }
    }

    /// Queues `key` once `delay` has passed (see ``runDelays(tick:)``).
    func add(_ key: Key, after delay: Duration) {
        guard delay > .zero else { return add(key) }
        let deadline = ContinuousClock.now + delay
        state.withLock { s in
            guard !s.closed else { return }
            s.sequence += 1
            s.delayed.insert(Delayed(deadline: deadline, sequence: s.sequence, key: key))
        }
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
                    if s.readyIndex < s.ready.count {
                        let key = s.ready[s.readyIndex]
                        s.readyIndex += 1
                        if s.readyIndex > 1024 && s.readyIndex * 2 > s.ready.count {
                            s.ready.removeFirst(s.readyIndex)
                            s.readyIndex = 0
                        }
                        s.dirty.remove(key)
                        s.processing.insert(key)
                        return .some(key)
                    }
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
            guard s.dirty.contains(key), !s.closed else { return nil }
            if let (id, waiter) = s.waiters.first {
                s.waiters[id] = nil
                s.dirty.remove(key)
                s.processing.insert(key)
                return waiter
            }
            s.ready.append(key)
            return nil
        }
        resume?.resume(returning: key)
    }

    /// Moves due delayed keys into the queue every `tick` until the task is cancelled or the queue shut down.
    func runDelays(tick: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: tick) } catch { return }
            let now = ContinuousClock.now
            let due: [Key]? = state.withLock { s in
                if s.closed { return nil }
                var keys: [Key] = []
                while let top = s.delayed.min, top.deadline <= now { keys.append(s.delayed.removeMin().key) }
                return keys
            }
            guard let due else { return }
            for key in due { add(key) }
        }
    }

    /// Wakes every waiting worker with nil; later calls to ``next()`` return nil.
    func shutDown() {
        let waiters = state.withLock { s in
            s.closed = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// Keys queued now or waiting for their delay (for tests and diagnostics).
    var pendingCount: Int { state.withLock { $0.ready.count - $0.readyIndex + $0.delayed.count } }
}
