import Foundation
import Synchronization

/// The controllers' timed re-checks: an object to look at again at a given time (a ReplicaSet whose pods
/// turn available once they have been Ready for `minReadySeconds`). Due ones are handed to the controllers
/// as `MODIFIED` events through the store's change stream, so they run one at a time like every other event.
final class Wakeups: Sendable {
    private struct Target: Hashable {
        var storageKey: String
        var key: ObjectKey
    }

    private let due = Mutex<[Target: Date]>([:])

    /// Asks for a re-check of `key` at `date` (an earlier request for the same object wins).
    func schedule(_ storageKey: String, _ key: ObjectKey, at date: Date) {
        due.withLock { due in
            let target = Target(storageKey: storageKey, key: key)
            if let existing = due[target], existing <= date { return }
            due[target] = date
        }
    }

    /// Removes and returns the re-checks due at `now`.
    func takeDue(_ now: Date) -> [(storageKey: String, key: ObjectKey)] {
        due.withLock { due in
            let ready = due.filter { $0.value <= now }.map(\.key)
            for target in ready { due[target] = nil }
            return ready.map { ($0.storageKey, $0.key) }
        }
    }
}

extension ClusterController {
    /// Asks the controllers to look at `key` again at `date`.
    func recheck(_ storageKey: String, _ key: ObjectKey, at date: Date?) {
        guard let date else { return }
        wakeups.schedule(storageKey, key, at: date)
    }

    /// Once a second, hands the due re-checks to the controllers; returns when cancelled.
    func deliverWakeups() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
            for target in wakeups.takeDue(Date()) { core.store.requeue(target.storageKey, target.key) }
        }
    }
}
