import Synchronization

/// The data paths running on one node, capped at the node's concurrency (Velero's `pkg/datapath/manager.go`):
/// a new data path is refused when the node is full; a resumed one (found InProgress after a restart) is
/// admitted regardless.
final class DataPathManager: Sendable {
    private struct Entry {
        var resumed: Bool
        var cancelRequested = false
        var cancel: AsyncStream<Void>.Continuation?
    }

    /// The node's concurrency.
    let capacity: Int
    private let state = Mutex<[LoadKey: Entry]>([:])

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Reserves a slot for `key`; false when the node is full (and `resumed` is false).
    func reserve(_ key: LoadKey, resumed: Bool) -> Bool {
        state.withLock { s in
            if s[key] != nil { return true }
            guard resumed || s.count < capacity else { return false }
            s[key] = Entry(resumed: resumed)
            return true
        }
    }

    /// Frees the slot of `key`.
    func release(_ key: LoadKey) {
        let entry = state.withLock { $0.removeValue(forKey: key) }
        entry?.cancel?.finish()
    }

    func isRunning(_ key: LoadKey) -> Bool { state.withLock { $0[key] != nil } }

    var runningCount: Int { state.withLock { $0.count } }

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
            guard s[key] != nil else { return .none }
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
