/// Which items a restore has handled, shared by the parallel workers: each item is restored once,
/// and a worker that needs an item another worker is restoring waits for it.
actor RestoreLedger {
    private enum State {
        case inFlight([CheckedContinuation<Void, Never>])
        case done
    }
    private var states: [String: State] = [:]

    /// Claims `key`. Returns true when the caller must restore it; false when it is done already
    /// (after waiting for another worker to finish it, if one is on it).
    func claim(_ key: String) async -> Bool {
        switch states[key] {
        case nil:
            states[key] = .inFlight([])
            return true
        case .done:
            return false
        case .inFlight(var waiters):
            await withCheckedContinuation { continuation in
                waiters.append(continuation)
                states[key] = .inFlight(waiters)
            }
            return false
        }
    }

    /// Marks `key` handled and wakes whoever waits for it.
    func finish(_ key: String) {
        if case .inFlight(let waiters) = states[key] {
            states[key] = .done
            for waiter in waiters { waiter.resume() }
        } else {
            states[key] = .done
        }
    }

    /// Whether `key` was claimed already.
    func isClaimed(_ key: String) -> Bool { states[key] != nil }
}
