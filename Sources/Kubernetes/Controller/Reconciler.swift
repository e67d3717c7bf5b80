/// Brings one object's world in line with its spec (controller-runtime's `Reconciler`). Called by a
/// ``Controller`` with the key of an object that changed; never called with one key by two workers at once.
///
/// Read the object from the informer's cache (it may be gone: a deletion is reconciled too). Throwing
/// requeues the key with backoff; return ``ReconcileResult`` to requeue without an error.
public protocol Reconciler: Sendable {
    /// Reconciles the object with `key`.
    func reconcile(_ key: NamespacedName) async throws -> ReconcileResult
}

/// What a ``Reconciler`` wants done with the key it reconciled.
public struct ReconcileResult: Sendable, Hashable {
    /// Requeue with the key's backoff (as after an error, without logging one).
    public var requeue: Bool
    /// Requeue after this delay (takes precedence over ``requeue``; resets the key's backoff).
    public var requeueAfter: Duration?

    public init(requeue: Bool = false, requeueAfter: Duration? = nil) {
        self.requeue = requeue
        self.requeueAfter = requeueAfter
    }

    /// Done until the object changes again.
    public static let done = ReconcileResult()
    /// Requeue with backoff.
    public static let requeue = ReconcileResult(requeue: true)
    /// Requeue after `delay`.
    public static func requeue(after delay: Duration) -> ReconcileResult { ReconcileResult(requeueAfter: delay) }
}
