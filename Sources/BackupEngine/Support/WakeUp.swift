import Synchronization

/// A wake-up call for one waiting loop, kept until it is taken: ``signal()`` from any task (a watch event);
/// ``wait(upTo:)`` returns at once when a call is pending (taking it), else at the next call, after the given time,
/// or when the waiting task is cancelled. Calls made while one is pending fold into it.
final class WakeUp: Sendable {
    private struct State {
        var pending = false
        var nextID = 0
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    }
    private let state = Mutex(State())

    init() {}

    /// Wakes the waiter, or leaves the call pending for the next wait.
    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter else {
                s.pending = true
                return nil
            }
            s.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// Returns at the first of: a pending or new call, `duration` passed, the task cancelled.
    func wait(upTo duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await self.nextCall() }
            _ = await group.next()
            group.cancelAll()
        }
    }

    private func nextCall() async {
        let id = state.withLock { s -> Int in
            defer { s.nextID += 1 }
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.pending {
                        s.pending = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    s.waiter = (id, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let waiter = s.waiter, waiter.id == id else { return nil }
                s.waiter = nil
                return waiter.continuation
            }
            waiter?.resume()
        }
    }
}
