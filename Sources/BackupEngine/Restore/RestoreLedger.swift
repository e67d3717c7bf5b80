/// Which items a restore has handled, shared by the parallel workers: each item is restored once,
/// and a worker that needs an item another worker is restoring waits for it.
///
/// Items are named by their ordinal in the backup (``BackupContents/Item/ordinal``): a handled item is one bit,
/// so a restore of a million items keeps 125 KB here; only the items in flight have an entry of their own.
actor RestoreLedger {
    private var done: [UInt64]
    private var inFlight: [Int: [CheckedContinuation<Void, Never>]] = [:]

    /// - Parameter count: the number of items (ordinals `0 ..< count`).
    init(count: Int) {
        done = [UInt64](repeating: 0, count: (max(0, count) + 63) / 64)
    }

    /// Claims item `ordinal`. Returns true when the caller must restore it; false when it is done already
    /// (after waiting for another worker to finish it, if one is on it).
    func claim(_ ordinal: Int) async -> Bool {
        if isDone(ordinal) { return false }
        guard var waiters = inFlight[ordinal] else {
            inFlight[ordinal] = []
            return true
        }
        await withCheckedContinuation { continuation in
            waiters.append(continuation)
            inFlight[ordinal] = waiters
        }
        return false
    }

    /// Marks item `ordinal` handled and wakes whoever waits for it.
    func finish(_ ordinal: Int) {
        guard ordinal >= 0 else { return }
        let (word, bit) = ordinal.quotientAndRemainder(dividingBy: 64)
        if word >= done.count { done += [UInt64](repeating: 0, count: word - done.count + 1) }
        done[word] |= 1 << UInt64(bit)
        for waiter in inFlight.removeValue(forKey: ordinal) ?? [] { waiter.resume() }
    }

    private func isDone(_ ordinal: Int) -> Bool {
        guard ordinal >= 0 else { return false }
        let (word, bit) = ordinal.quotientAndRemainder(dividingBy: 64)
        return word < done.count && done[word] & (1 << UInt64(bit)) != 0
    }
}
