import DequeModule
import HeapModule
import OrderedCollections

/// The state of a ``WorkQueue``: ready lanes, the processing set, delayed keys and failure counts. Pure
/// bookkeeping under the queue's lock; continuations it returns are resumed by the caller after the lock.
struct WorkQueueState<Key: Hashable & Sendable, Instant: InstantProtocol> {
    /// A worker to resume with a key (after the lock is released).
    struct HandOff {
        let continuation: CheckedContinuation<Key?, Never>
        let key: Key

        func resume() { continuation.resume(returning: key) }
    }

    /// A key waiting for its deadline; ties keep the order they were added in.
    struct Delayed: Comparable {
        var deadline: Instant
        var sequence: Int
        var key: Key

        static func < (a: Delayed, b: Delayed) -> Bool { (a.deadline, a.sequence) < (b.deadline, b.sequence) }
        static func == (a: Delayed, b: Delayed) -> Bool { a.deadline == b.deadline && a.sequence == b.sequence }
    }

    /// Ready keys: `lanes[0]` urgent, `lanes[1]` the others. A key moved up to the urgent lane leaves a stale
    /// entry in the other one, skipped when it comes up (its `dirty` lane no longer matches).
    var lanes: [Deque<Key>] = [[], []]
    /// Queued keys (ready, or to be queued again once processed) and their lane.
    var dirty: [Key: Int] = [:]
    var processing: Set<Key> = []
    /// Workers waiting in `next()`, oldest first.
    var waiters: OrderedDictionary<Int, CheckedContinuation<Key?, Never>> = [:]
    var nextWaiter = 0
    var delayed = Heap<Delayed>()
    /// The deadline of each delayed key (heap entries with another deadline are stale).
    var waiting: [Key: Instant] = [:]
    var sequence = 0
    /// Failures counted by `addRateLimited`.
    var failures: [Key: Int] = [:]
    var closed = false
    /// The delay timer's wake-up while it sleeps, and the deadline it sleeps until (nil: none).
    var alarm: CheckedContinuation<Void, Never>?
    var sleepingUntil: Instant?

    var readyCount: Int { dirty.keys.count(where: { !processing.contains($0) }) }
    var earliestDeadline: Instant? { delayed.min?.deadline }

    /// Queues `key` in `lane` and hands ready keys to waiting workers.
    mutating func add(_ key: Key, lane: Int) -> [HandOff] {
        guard !closed else { return [] }
        if let queued = dirty[key] {
            guard lane < queued else { return [] }
            dirty[key] = lane
            if !processing.contains(key) { lanes[lane].append(key) }
        } else {
            dirty[key] = lane
            if !processing.contains(key) { lanes[lane].append(key) }
        }
        return dispatch()
    }

    /// Marks `key` processed: queues it again when it was added meanwhile.
    mutating func done(_ key: Key) -> [HandOff] {
        processing.remove(key)
        guard let lane = dirty[key], !closed else { return [] }
        lanes[lane].append(key)
        return dispatch()
    }

    /// Takes the next ready key, urgent lane first, and marks it processing.
    mutating func takeReady() -> Key? {
        for lane in lanes.indices {
            while let key = lanes[lane].popFirst() {
                guard dirty[key] == lane, !processing.contains(key) else { continue }
                dirty[key] = nil
                processing.insert(key)
                return key
            }
        }
        return nil
    }

    /// Pairs waiting workers with ready keys.
    mutating func dispatch() -> [HandOff] {
        var handOffs: [HandOff] = []
        while !waiters.isEmpty, let key = takeReady() {
            handOffs.append(HandOff(continuation: waiters.removeFirst().value, key: key))
        }
        return handOffs
    }

    /// Records a delayed key; returns the timer's alarm when it sleeps past the new deadline.
    mutating func addDelayed(_ key: Key, deadline: Instant) -> CheckedContinuation<Void, Never>? {
        guard !closed else { return nil }
        if let current = waiting[key], current <= deadline { return nil }
        waiting[key] = deadline
        sequence += 1
        delayed.insert(Delayed(deadline: deadline, sequence: sequence, key: key))
        guard alarm != nil, sleepingUntil.map({ deadline < $0 }) ?? true else { return nil }
        return takeAlarm()
    }

    /// Removes and returns the delayed keys whose deadline is not after `now`, earliest first.
    mutating func takeDue(now: Instant) -> [Key] {
        var due: [Key] = []
        while let top = delayed.min, top.deadline <= now {
            let entry = delayed.removeMin()
            guard waiting[entry.key] == entry.deadline else { continue }
            waiting[entry.key] = nil
            due.append(entry.key)
        }
        return due
    }

    /// Registers the timer's alarm before it sleeps until `deadline`; false when it must not sleep (shut down,
    /// or an earlier deadline arrived meanwhile).
    mutating func setAlarm(_ continuation: CheckedContinuation<Void, Never>, until deadline: Instant?) -> Bool {
        if closed { return false }
        if let first = earliestDeadline, deadline.map({ first < $0 }) ?? true { return false }
        alarm = continuation
        sleepingUntil = deadline
        return true
    }

    /// Takes the timer's alarm (nil when it is not sleeping).
    mutating func takeAlarm() -> CheckedContinuation<Void, Never>? {
        defer {
            alarm = nil
            sleepingUntil = nil
        }
        return alarm
    }
}
