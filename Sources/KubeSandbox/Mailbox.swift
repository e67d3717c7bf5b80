import Synchronization

/// An unbounded many-producer, one-consumer queue whose consumer takes everything pending at once, so a
/// consumer that fell behind catches up in one step (a watch writes all its pending events in one chunk).
///
/// ```swift
/// let mailbox = Mailbox<Int>()
/// mailbox.put(1); mailbox.put(2)
/// await mailbox.take()  // [1, 2]
/// mailbox.close()
/// await mailbox.take()  // [] (closed and drained)
/// ```
final class Mailbox<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiter: CheckedContinuation<[Element], Never>?
        var closed = false
    }

    private let state = Mutex(State())

    init() {}

    /// Adds an element (ignored once closed).
    func put(_ element: Element) {
        let wake: (CheckedContinuation<[Element], Never>, [Element])? = state.withLock { s in
            guard !s.closed else { return nil }
            if let waiter = s.waiter {
                s.waiter = nil
                return (waiter, [element])
            }
            s.items.append(element)
            return nil
        }
        if let (waiter, items) = wake { waiter.resume(returning: items) }
    }

    /// Ends the mailbox: elements already put are still taken, later ones are dropped.
    func close() {
        let waiter = state.withLock { s in
            s.closed = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: [])
    }

    /// Every element put since the last call, in order, waiting until there is one; empty once the mailbox
    /// is closed and drained, or the task is cancelled (which closes it). One consumer at a time.
    func take() async -> [Element] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Element], Never>) in
                let ready: [Element]? = state.withLock { s in
                    if !s.items.isEmpty {
                        defer { s.items = [] }
                        return s.items
                    }
                    if s.closed || Task.isCancelled {
                        s.closed = true
                        return []
                    }
                    s.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            close()
        }
    }
}
