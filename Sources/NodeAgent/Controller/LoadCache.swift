import Kubernetes
import Synchronization

/// A node agent's view of the cluster, fed by its watches (an informer cache): the loads of every watched
/// kind, the data-mover pods on this node, and the prepare-queue slots taken. Reads never touch the API.
final class LoadCache: Sendable {
    private struct State {
        var loads: [LoadKey: LoadObject] = [:]
        var pods: [String: JSONValue] = [:]
        /// Prepare-queue tickets this node agent took and has not returned yet: slot and the slot object's uid.
        var held: [String: (slot: Int, uid: String?)] = [:]
        /// Prepare-queue slots recorded by the loads being prepared (annotation), with how many record each.
        var slots: [Int: Int] = [:]
        /// The loads labelled `velero.io/expose-on-going=true`, kept up to date on every change (a reconcile
        /// reads it; counting 2,000 loads each time would cost more than the reconcile).
        var exposing = 0
        /// Loads committed to each node: Accepted ones by `acceptedByNode`, Prepared, InProgress and Canceling
        /// ones by `status.node`.
        var committed: [String: Int] = [:]
        /// The loads a periodic resync may have to act on: past New and not final, or final with the
        /// finalizer still on (most of a long run's loads are final and done: the resync skips them).
        var unsettled: Set<LoadKey> = []

        mutating func account(_ load: LoadObject, _ sign: Int) {
            if load.isExposing {
                exposing += sign
                if let slot = load.prepareQueueSlot {
                    let count = slots[slot, default: 0] + sign
                    slots[slot] = count == 0 ? nil : count
                }
            }
            if let node = LoadCache.committedNode(of: load) {
                let count = committed[node, default: 0] + sign
                committed[node] = count == 0 ? nil : count
            }
        }

        mutating func set(_ key: LoadKey, _ load: LoadObject?) {
            if let old = loads[key] { account(old, -1) }
            loads[key] = load
            if let load { account(load, 1) }
            if let load, LoadCache.isUnsettled(load) {
                unsettled.insert(key)
            } else {
                unsettled.remove(key)
            }
        }
    }

    /// The node a load occupies or is about to occupy (nil when none).
    static func committedNode(of load: LoadObject) -> String? {
        switch load.phase {
        case .accepted: load.acceptedByNode
        case .prepared, .inProgress, .canceling: load.node
        case .new, .completed, .failed, .canceled: nil
        }
    }

    /// Whether a periodic resync may have to act on `load` (see `State.unsettled`).
    static func isUnsettled(_ load: LoadObject) -> Bool {
        switch load.phase {
        case .new: false
        case .completed, .failed, .canceled: load.hasFinalizer
        case .accepted, .prepared, .inProgress, .canceling: true
        }
    }

    private let state = Mutex(State())

    init() {}

    /// Whether `incoming` is not older than `current` (resourceVersions compared as numbers when both are).
    private static func isNewer(_ incoming: String?, than current: String?) -> Bool {
        guard let incoming, let current, let a = UInt64(incoming), let b = UInt64(current) else { return true }
        return a >= b
    }

    // MARK: Loads

    func load(_ key: LoadKey) -> LoadObject? { state.withLock { $0.loads[key] } }

    /// Stores a load unless the cache already holds a newer version of it.
    func put(_ load: LoadObject) { _ = update(load) }

    /// Stores a load unless the cache already holds a newer version of it; returns the version cached before
    /// (nil when none) and whether the load was stored.
    func update(_ load: LoadObject) -> (previous: LoadObject?, changed: Bool) {
        let key = LoadKey(kind: load.kind, name: load.name)
        return state.withLock { s in
            let current = s.loads[key]
            if let current, !Self.isNewer(load.resourceVersion, than: current.resourceVersion) { return (current, false) }
            s.set(key, load)
            return (current, true)
        }
    }

    func remove(_ key: LoadKey) { state.withLock { $0.set(key, nil) } }

    /// Forgets every load of `kind` (a watch restarted; ADDED events for the current objects follow).
    func reset(_ kind: LoadKind) {
        state.withLock { s in
            for key in s.loads.keys where key.kind == kind { s.set(key, nil) }
        }
    }

    /// The New loads of `kind`.
    func newLoads(of kind: LoadKind) -> [LoadObject] {
        state.withLock { s in s.loads.compactMap { $0.key.kind == kind && $0.value.phase == .new ? $0.value : nil } }
    }

    /// The cached loads a periodic resync may have to act on: past New and not final, or final with the
    /// finalizer still on.
    func unsettledLoads() -> [LoadObject] { state.withLock { s in s.unsettled.compactMap { s.loads[$0] } } }

    /// The loads labelled `velero.io/expose-on-going=true` (Velero's prepare-queue count).
    func exposingCount() -> Int { state.withLock { $0.exposing } }

    /// For every node, the loads committed to it (Accepted by it, or Prepared, InProgress or Canceling on it).
    func committedCounts() -> [String: Int] { state.withLock { $0.committed } }

    // MARK: Pods on this node

    func pod(named name: String) -> JSONValue? { state.withLock { $0.pods[name] } }
    func putPod(_ pod: JSONValue) {
        guard let name = pod["metadata"]?["name"]?.stringValue else { return }
        state.withLock { $0.pods[name] = pod }
    }
    func removePod(named name: String) { state.withLock { _ = $0.pods.removeValue(forKey: name) } }
    func resetPods() { state.withLock { $0.pods = [:] } }

    // MARK: Prepare queue

    /// Records that this node agent took the ticket `ticket` in `slot` (the slot object has `uid`).
    func holdSlot(_ ticket: String, slot: Int, uid: String?) { state.withLock { $0.held[ticket] = (slot, uid) } }

    /// The slot this node agent took for `ticket`, if it still holds it.
    func heldSlot(_ ticket: String) -> (slot: Int, uid: String?)? { state.withLock { $0.held[ticket] } }

    /// Forgets and returns the slot this node agent took for `ticket` (nil when it holds none).
    func releaseSlot(_ ticket: String) -> (slot: Int, uid: String?)? { state.withLock { $0.held.removeValue(forKey: ticket) } }

    /// The prepare-queue slots taken as far as this node agent knows: those the loads being prepared record,
    /// and those it holds itself.
    func takenSlots() -> Set<Int> {
        state.withLock { s in Set(s.slots.keys).union(s.held.values.map(\.slot)) }
    }
}
