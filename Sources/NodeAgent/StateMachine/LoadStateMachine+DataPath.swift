/// Starting, resuming, canceling and ending the data paths of this node.
extension LoadStateMachine {
    /// Whether the data path of `key` may start on this node: a Prepared load takes a free slot (or the one
    /// held for it) and otherwise waits for one (Velero: "Data path instance is concurrent limited requeue
    /// later", after the requeue delay); a resumed load (InProgress before a restart) bypasses the limit.
    /// Returns nil when it may start, else when to look again.
    mutating func reserveDataPath(_ key: LoadKey, resumed: Bool) -> Duration? {
        if slots.reserve(key, resumed: resumed) { return nil }
        statistics.nodeFull += 1
        if !waiters.slot.contains(key) { waiters.slot.append(key) }
        return configuration.requeueDelay
    }

    /// The write that moves `key` to InProgress failed: its slot is free again.
    mutating func dataPathNotStarted(_ key: LoadKey) -> [Action] {
        slots.release(key)
        return slotFreed()
    }

    /// The data path of `key` was handed to the data-path runner.
    mutating func dataPathStarted(_ key: LoadKey, resumed: Bool) {
        statistics.dataPathsStarted += 1
        if resumed { statistics.dataPathsResumed += 1 }
    }

    /// Whether the data path of `key` runs on this node.
    func isRunning(_ key: LoadKey) -> Bool { slots.isRunning(key) }

    /// Whether a cancel was requested for the data path of `key`.
    func isCancelRequested(_ key: LoadKey) -> Bool { slots.isCancelRequested(key) }

    /// A cancel of the data path of `key` was requested; returns whether it runs here (then the executor
    /// signals it).
    mutating func requestCancel(_ key: LoadKey) -> Bool { slots.requestCancel(key) }

    /// The data path of `key` ended (its outcome recorded, or not: shutdown); `completed` when the load
    /// completed. Its slot is free again.
    mutating func dataPathEnded(_ key: LoadKey, completed: Bool = false) -> [Action] {
        if completed { statistics.completed += 1 }
        slots.release(key)
        return slotFreed()
    }
}
