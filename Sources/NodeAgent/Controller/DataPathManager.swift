import Synchronization

/// The data paths running on one node, capped at the node's concurrency (Velero's `pkg/datapath/manager.go`):
/// a new data path is refused when the node is full; a resumed one (found InProgress after a restart) is
/// admitted regardless. With capacity-aware placement a slot is also held for a load from its acceptance
/// until its data path starts (``hold(_:)``), so a node never accepts more than it can run.
final class DataPathManager: Sendable {
    private struct Entry {
        var resumed: Bool
        /// False while the slot is only held for an accepted load.
        var running = true
        var cancelRequested = false
        var cancel: AsyncStream<Void>.Continuation?
    }

    /// The node's concurrency.
    let capacity: Int
    private let state = Mutex<[LoadKey: Entry]>([:])

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Reserves a slot for the data path of `key` (taking over a held one); false when the node is full
    /// (and `resumed` is false).
    func reserve(_ key: LoadKey, resumed: Bool) -> Bool {
        state.withLock { s in
            if s[key] != nil {
                s[key]?.running = true
                return true
            }
            guard resumed || s.count < capacity else { return false }
            s[key] = Entry(resumed: resumed)
            return true
        }
    }

    /// Holds a slot for a load this node is accepting; false when the node is full.
    func hold(_ key: LoadKey) -> Bool {
        state.withLock { s in
            if s[key] != nil { return true }
            guard s.count < capacity else { return false }
            s[key] = Entry(resumed: false, running: false)
            return true
        }
    }

    /// Whether a slot is held or running for `key`.
    func isHeld(_ key: LoadKey) -> Bool { state.withLock { $0[key] != nil } }

    /// Slots neither running nor held (negative when resumed data paths exceed the concurrency).
    var free: Int { state.withLock { capacity - $0.count } }

    /// Frees the slot of `key` if it is only held (its data path never started); returns whether it did.
    @discardableResult
    func releaseHold(_ key: LoadKey) -> Bool {
        state.withLock { s in
            guard let entry = s[key], !entry.running else { return false }
            s[key] = nil
            return true
        }
    }

    /// Frees the slot of `key`.
    func release(_ key: LoadKey) {
        let entry = state.withLock { $0.removeValue(forKey: key) }
        entry?.cancel?.finish()
    }

    func isRunning(_ key: LoadKey) -> Bool { state.withLock { $0[key]?.running == true } }

    /// A stream that yields once when ``requestCancel(_:)`` is called for `key`.
    func cancelSignal(_ key: LoadKey) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let already = state.withLock { s -> Bool in
            s[key]?.cancel = continuation
            return s[key]?.cancelRequested ?? false
        }
        if already { continuation.yield() }
        return stream
    }

    /// Asks the running data path of `key` to stop; returns whether it is running here.
    @discardableResult
    func requestCancel(_ key: LoadKey) -> Bool {
        let continuation: AsyncStream<Void>.Continuation?? = state.withLock { s in
            guard s[key]?.running == true else { return .none }
            s[key]?.cancelRequested = true
            return .some(s[key]?.cancel)
        }
        guard case .some(let c) = continuation else { return false }
        c?.yield()
        return true
    }

    /// Whether a cancel was requested for the data path of `key`.
    func isCancelRequested(_ key: LoadKey) -> Bool { state.withLock { $0[key]?.cancelRequested ?? false } }
}
