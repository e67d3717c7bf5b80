import Synchronization

/// A node agent's ``LoadStateMachine`` behind one lock, shared by its tasks (watches, workers, data paths,
/// the prepare queue and the work queue's lane choice). Change it inside ``withLock(_:)`` only; perform the
/// actions it returns after the lock is released.
final class SharedLoadStateMachine: Sendable {
    private let mutex: Mutex<LoadStateMachine>

    init(_ machine: LoadStateMachine) {
        mutex = Mutex(machine)
    }

    /// Reads or changes the machine under the lock.
    func withLock<Result: Sendable>(_ body: (inout LoadStateMachine) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}

/// How to stop each running data path: a stream per data path that yields when its cancel is requested.
/// Handles, not decisions: whether a cancel was requested is the state machine's.
final class DataPathSignals: Sendable {
    private let continuations = Mutex<[LoadKey: AsyncStream<Void>.Continuation]>([:])

    /// The stream of `key`'s cancel requests (register it before reading whether one was requested already).
    func register(_ key: LoadKey) -> (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        continuations.withLock { $0[key] = continuation }
        return (stream, continuation)
    }

    /// Signals the data path of `key` to stop.
    func cancel(_ key: LoadKey) {
        continuations.withLock { $0[key] }?.yield()
    }

    /// Forgets the data path of `key` (it ended).
    func remove(_ key: LoadKey) {
        continuations.withLock { $0.removeValue(forKey: key) }?.finish()
    }
}
