import Kubernetes

/// A node agent's view of the cluster, fed by its informers: the loads of every
/// watched kind, the data-mover pods on this node, and the prepare-queue slots taken, with the counts the
/// admission rule reads kept up to date on every change. Part of ``LoadStateMachine``; reads never touch the API.
struct LoadView: Sendable {
    /// A prepare-queue ticket this node agent took: its slot and the slot object's uid.
    struct HeldSlot: Sendable, Hashable {
        var slot: Int
        var uid: String?
    }

    private(set) var loads: [LoadKey: LoadObject] = [:]
    private(set) var pods: [String: JSONValue] = [:]
    /// Prepare-queue tickets this node agent took and has not returned yet.
    private var held: [String: HeldSlot] = [:]
    /// Prepare-queue slots recorded by the loads being prepared (annotation), with how many record each.
    private var slots: [Int: Int] = [:]
    /// The loads labelled `velero.io/expose-on-going=true`, kept up to date on every change (a reconcile
    /// reads it; counting 2,000 loads each time would cost more than the reconcile).
    private(set) var exposingCount = 0
    /// Loads committed to each node: Accepted ones by `acceptedByNode`, Prepared, InProgress and Canceling
    /// ones by `status.node`.
    private(set) var committedCounts: [String: Int] = [:]
    /// The loads a periodic resync may have to act on: past New and not final, or final with the
    /// finalizer still on (most of a long run's loads are final and done: the resync skips them).
    private var unsettled: Set<LoadKey> = []

    init() {}

    /// The node a load occupies or is about to occupy (nil when none).
    static func committedNode(of load: LoadObject) -> String? {
        switch load.phase {
        case .accepted: load.acceptedByNode
        case .prepared, .inProgress, .canceling: load.node
        case .new, .completed, .failed, .canceled: nil
        }
    }

    /// Whether a periodic resync may have to act on `load`.
    static func isUnsettled(_ load: LoadObject) -> Bool {
        switch load.phase {
        case .new: false
        case .completed, .failed, .canceled: load.hasFinalizer
        case .accepted, .prepared, .inProgress, .canceling: true
        }
    }

    /// Whether `incoming` is not older than `current` (resourceVersions compared as numbers when both are).
    private static func isNewer(_ incoming: String?, than current: String?) -> Bool {
        guard let incoming, let current, let a = UInt64(incoming), let b = UInt64(current) else { return true }
        return a >= b
    }

    private mutating func account(_ load: LoadObject, _ sign: Int) {
        if load.isExposing {
            exposingCount += sign
            if let slot = load.prepareQueueSlot {
                let count = slots[slot, default: 0] + sign
                slots[slot] = count == 0 ? nil : count
            }
        }
        if let node = Self.committedNode(of: load) {
            let count = committedCounts[node, default: 0] + sign
            committedCounts[node] = count == 0 ? nil : count
        }
    }

    private mutating func set(_ key: LoadKey, _ load: LoadObject?) {
        if let old = loads[key] { account(old, -1) }
        loads[key] = load
        if let load { account(load, 1) }
        if let load, Self.isUnsettled(load) {
            unsettled.insert(key)
        } else {
            unsettled.remove(key)
        }
    }

    // MARK: Loads

    func load(_ key: LoadKey) -> LoadObject? { loads[key] }

    /// Stores a load unless the view already holds a newer version of it.
    mutating func put(_ load: LoadObject) { _ = update(load) }

    /// Stores a load unless the view already holds a newer version of it; returns the version held before
    /// (nil when none) and whether the load was stored.
    mutating func update(_ load: LoadObject) -> (previous: LoadObject?, changed: Bool) {
        let key = LoadKey(kind: load.kind, name: load.name)
        let current = loads[key]
        if let current, !Self.isNewer(load.resourceVersion, than: current.resourceVersion) { return (current, false) }
        set(key, load)
        return (current, true)
    }

    mutating func remove(_ key: LoadKey) { set(key, nil) }

    /// The New loads of `kind`.
    func newLoads(of kind: LoadKind) -> [LoadObject] {
        loads.compactMap { $0.key.kind == kind && $0.value.phase == .new ? $0.value : nil }
    }

    /// The loads a periodic resync may have to act on: past New and not final, or final with the finalizer on.
    func unsettledLoads() -> [LoadObject] { unsettled.compactMap { loads[$0] } }

    // MARK: Pods on this node

    func pod(named name: String) -> JSONValue? { pods[name] }

    mutating func putPod(_ pod: JSONValue) {
        guard let name = pod["metadata"]?["name"]?.stringValue else { return }
        pods[name] = pod
    }

    mutating func removePod(named name: String) { pods[name] = nil }

    // MARK: Prepare queue

    /// Records that this node agent took the ticket `ticket` in `slot` (the slot object has `uid`).
    mutating func holdSlot(_ ticket: String, slot: Int, uid: String?) { held[ticket] = HeldSlot(slot: slot, uid: uid) }

    /// The slot this node agent took for `ticket`, if it still holds it.
    func heldSlot(_ ticket: String) -> HeldSlot? { held[ticket] }

    /// Forgets and returns the slot this node agent took for `ticket` (nil when it holds none).
    mutating func releaseSlot(_ ticket: String) -> HeldSlot? { held.removeValue(forKey: ticket) }

    /// The prepare-queue slots taken as far as this node agent knows: those the loads being prepared record,
    /// and those it holds itself.
    func takenSlots() -> Set<Int> { Set(slots.keys).union(held.values.map(\.slot)) }
}
