/// The data-path slots of one node, capped at the node's concurrency (Velero's `pkg/datapath/manager.go`):
/// a new data path is refused when the node is full; a resumed one (found InProgress after a restart) is
/// admitted regardless. With capacity-aware placement a slot is also held for a load from its acceptance
/// until its data path starts (``hold(_:)``), so a node never accepts more than it can run. Part of
/// ``LoadStateMachine``; the cancel signals of running data paths stay with the executor.
struct DataPathSlots: Sendable {
    private struct Entry: Sendable {
        var resumed: Bool
        /// False while the slot is only held for an accepted load.
        var running = true
        var cancelRequested = false
    }

    /// The node's concurrency.
    let capacity: Int
    private var entries: [LoadKey: Entry] = [:]

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Reserves a slot for the data path of `key` (taking over a held one); false when the node is full
    /// (and `resumed` is false).
    mutating func reserve(_ key: LoadKey, resumed: Bool) -> Bool {
        if entries[key] != nil {
            entries[key]?.running = true
            return true
        }
        guard resumed || entries.count < capacity else { return false }
        entries[key] = Entry(resumed: resumed)
        return true
    }

    /// Holds a slot for a load this node is accepting; false when the node is full.
    mutating func hold(_ key: LoadKey) -> Bool {
        if entries[key] != nil { return true }
        guard entries.count < capacity else { return false }
        entries[key] = Entry(resumed: false, running: false)
        return true
    }

    /// Whether a slot is held or running for `key`.
    func isHeld(_ key: LoadKey) -> Bool { entries[key] != nil }

    /// Slots neither running nor held (negative when resumed data paths exceed the concurrency).
    var free: Int { capacity - entries.count }

    /// Data paths running (held slots excluded).
    var runningCount: Int { entries.values.count(where: \.running) }

    /// Frees the slot of `key` if it is only held (its data path never started); returns whether it did.
    @discardableResult
    mutating func releaseHold(_ key: LoadKey) -> Bool {
        guard let entry = entries[key], !entry.running else { return false }
        entries[key] = nil
        return true
    }

    /// Frees the slot of `key`; returns whether there was one.
    @discardableResult
    mutating func release(_ key: LoadKey) -> Bool { entries.removeValue(forKey: key) != nil }

    func isRunning(_ key: LoadKey) -> Bool { entries[key]?.running == true }

    /// Records a cancel request for the running data path of `key`; returns whether it is running here.
    mutating func requestCancel(_ key: LoadKey) -> Bool {
        guard entries[key]?.running == true else { return false }
        entries[key]?.cancelRequested = true
        return true
    }

    /// Whether a cancel was requested for the data path of `key`.
    func isCancelRequested(_ key: LoadKey) -> Bool { entries[key]?.cancelRequested ?? false }
}
