import Foundation
import Kubernetes

/// One node agent's decisions about loads as a pure value: events in, actions out, time passed in (the
/// shape of async-http-client's `RequestBag.StateMachine`). Production keeps one in a single `Mutex` and
/// performs the actions with a thin executor (``NodeAgentController``); ``LoadSimulation`` drives one per
/// simulated node. No I/O happens here: API writes, exposure and data paths are the executor's, which
/// reports their outcome back as events.
///
/// It owns
/// - the node agent's view of the cluster (``LoadView``: loads, data-mover pods, prepare-queue tickets),
/// - the admission of New loads (``admitNew(_:committing:)``, the one rule both the watch and the
///   reconcile apply): the prepare-queue count (Velero's `velero.io/expose-on-going` label), with
///   capacity-aware placement this node's affinity and free slot, the staggered acceptance race, and the
///   loads waiting for room,
/// - the data-path slots of this node (``DataPathSlots``: the node's concurrency, held slots, resumed loads),
/// - the prepare timeout and the periodic resync.
///
/// ```swift
/// var machine = LoadStateMachine(configuration: .init(node: "n1", config: resolved, nodes: nodes))
/// let actions = machine.loadObserved(load)           // [.reconcile(key)]
/// let (admission, _) = machine.admitNew(key, committing: true)   // .proceed: take a ticket, accept
/// ```
struct LoadStateMachine: Sendable {
    /// What the machine decides with (all fixed at start).
    struct Configuration: Sendable {
        /// This node.
        var node: String
        /// The load kinds this node agent handles.
        var kinds: Set<LoadKind>
        /// The resolved node-agent configuration (concurrency, prepare queue length, load affinity).
        var config: ResolvedNodeAgentConfig
        /// Concurrency of every known node (empty when the cluster's nodes are unknown).
        var nodeCapacity: [String: Int]
        /// Labels of every known node.
        var nodeLabels: [String: [String: String]]
        /// See ``NodeAgentController/Configuration``.
        var prepareTimeout: Duration
        var requeueDelay: Duration
        var retryDelay: Duration
        var capacityAwarePlacement: Bool
        var acceptStagger: Duration

        init(
            node: String,
            kinds: Set<LoadKind> = Set(LoadKind.allCases),
            config: ResolvedNodeAgentConfig,
            nodes: [ClusterFacts.Node],
            prepareTimeout: Duration = .seconds(1800),
            requeueDelay: Duration = .seconds(5),
            retryDelay: Duration = .milliseconds(100),
            capacityAwarePlacement: Bool = false,
            acceptStagger: Duration = .zero
        ) {
            self.node = node
            self.kinds = kinds
            self.config = config
            var capacity: [String: Int] = [:]
            var labels: [String: [String: String]] = [:]
            for node in nodes {
                capacity[node.name] = config.concurrency(forNodeLabels: node.labels).number
                labels[node.name] = node.labels
            }
            nodeCapacity = capacity
            nodeLabels = labels
            self.prepareTimeout = prepareTimeout
            self.requeueDelay = requeueDelay
            self.retryDelay = retryDelay
            self.capacityAwarePlacement = capacityAwarePlacement
            self.acceptStagger = acceptStagger
        }

        /// This node's data-path concurrency (the global number when the node is not listed).
        var concurrency: Int { nodeCapacity[node] ?? config.globalConcurrency }
    }

    /// What the executor does next.
    enum Action: Sendable, Hashable {
        /// Reconcile the load now.
        case reconcile(LoadKey)
        /// Reconcile the load once the delay has passed.
        case reconcileAfter(LoadKey, Duration)
    }

    /// A watch's change to the data-mover pods on this node.
    enum PodChange: Sendable {
        case upserted(JSONValue)
        case deleted(name: String)
    }

    /// New loads that found no room, oldest first, and Prepared loads waiting for a slot.
    struct Waiters: Sendable {
        var accept: [LoadKey] = []
        var head = 0
        var members: Set<LoadKey> = []
        var slot: [LoadKey] = []
    }

    let configuration: Configuration
    /// What this node agent knows of the cluster.
    var view = LoadView()
    /// This node's data-path slots.
    var slots: DataPathSlots
    var waiters = Waiters()
    /// New loads that already waited their turn in the acceptance race (or need not).
    var jittered: Set<LoadKey> = []
    /// The exposure of the loads this node accepted: true when done, false while a DataUpload waits for its
    /// source VolumeSnapshot (tried again). A load missing here (this node agent restarted while it was
    /// Accepted) is exposed again once; exposing is idempotent.
    var exposures: [LoadKey: Bool] = [:]
    /// The nodes each storage class's load affinity admits (computed once per storage class).
    var admitted: [String: [String]] = [:]
    /// The counters so far.
    var statistics = NodeAgentStatistics()
    /// When the prepare-queue slots were last swept.
    private var swept: Date?

    init(configuration: Configuration) {
        self.configuration = configuration
        slots = DataPathSlots(capacity: configuration.concurrency)
    }

    var node: String { configuration.node }
    var prepareQueueLength: Int { configuration.config.prepareQueueLength }

    // MARK: - Watch events

    /// A load was added or changed (an informer's event: list, watch or relist).
    mutating func loadObserved(_ load: LoadObject) -> [Action] {
        let key = LoadKey(kind: load.kind, name: load.name)
        let (previous, changed) = view.update(load)
        guard changed else { return [] }
        var actions: [Action] = []
        // Past Accepted (possibly on another node): this node agent exposes it no more.
        if load.phase != .new && load.phase != .accepted && previous?.phase == .accepted { exposures[key] = nil }
        if load.phase == .new {
            actions += offerNew(load, key)
        } else {
            if previous?.phase == .new { jittered.remove(key) }
            if concerns(load, key) { actions.append(.reconcile(key)) }
        }
        // A load left the prepare queue (its data path started or it ended): a load waiting for room may go
        // now. Velero mode: a freed data-path slot anywhere may let a load go too.
        let leftQueue = previous?.isExposing == true && !load.isExposing
        let freedSlot = !configuration.capacityAwarePlacement && load.phase.isFinal && previous?.phase.isFinal == false
        if leftQueue || freedSlot { actions += queuePlaceFreed() }
        return actions
    }

    /// Stores a load the executor wrote or read (no actions: the executor is reconciling it already).
    mutating func put(_ load: LoadObject) { view.put(load) }

    /// The executor found `key` gone when it read it (the watch's delete event follows).
    mutating func forget(_ key: LoadKey) { view.remove(key) }

    /// A load was deleted.
    mutating func loadDeleted(_ key: LoadKey) -> [Action] {
        view.remove(key)
        exposures[key] = nil
        jittered.remove(key)
        return slots.isHeld(key) ? [.reconcile(key)] : []
    }

    /// A data-mover pod on this node changed; `owner` is the load its labels name.
    mutating func podChanged(_ change: PodChange, owner: LoadKey?) -> [Action] {
        switch change {
        case .deleted(let name): view.removePod(named: name)
        case .upserted(let pod):
            guard owner != nil else { return [] }
            view.putPod(pod)
        }
        guard let owner, configuration.kinds.contains(owner.kind) else { return [] }
        return [.reconcile(owner)]
    }

    /// The periodic resync at `now`: looks again at the loads this node is responsible for (Velero
    /// re-enqueues Accepted loads every minute to check the prepare timeout) and wakes loads waiting for room
    /// (in case a wake-up was missed). New loads of other nodes are not re-enqueued: with thousands of loads
    /// and many nodes that alone would be a storm of reconciles. `sweep`: whether the prepare-queue slots are
    /// due for a sweep (at most every half ``PrepareQueue/staleAfter``).
    mutating func resyncTick(now: Date) -> (actions: [Action], sweep: Bool) {
        var actions: [Action] = []
        for load in view.unsettledLoads() where needsResync(load) {
            actions.append(.reconcile(LoadKey(kind: load.kind, name: load.name)))
        }
        actions += wakeAcceptWaiters(configuration.capacityAwarePlacement ? max(1, slots.free) : 1)
        var sweep = false
        if prepareQueueLength > 0, swept.map({ now.timeIntervalSince($0) >= PrepareQueue.staleAfter / 2 }) ?? true {
            swept = now
            sweep = true
        }
        return (actions, sweep)
    }

    /// This node agent took the prepare-queue ticket `ticket` in `slot` (the slot object has `uid`).
    mutating func holdSlot(_ ticket: String, slot: Int, uid: String?) { view.holdSlot(ticket, slot: slot, uid: uid) }

    /// Forgets and returns the prepare-queue slot this node agent took for `ticket` (nil when it holds none).
    mutating func releaseSlot(_ ticket: String) -> LoadView.HeldSlot? { view.releaseSlot(ticket) }

    // MARK: - Who acts on a load

    /// The node that acts on a non-New load: where its data path runs, else the node that accepted it.
    func isResponsible(for load: LoadObject) -> Bool {
        if let owner = load.node ?? load.acceptedByNode { return owner == node }
        if load.kind == .podVolumeBackup { return load.object["spec"]?["node"]?.stringValue == node }
        return true
    }

    /// Whether a change of `load` is for this node agent to act on: a New load (any node agent may take
    /// it), one this node accepted, runs or holds a slot for, or one whose data-mover pod is on this node.
    /// Loads of other nodes are only cached: with 50 node agents, reconciling every change everywhere would
    /// be 50 reconciles for each change that matters to one.
    func concerns(_ load: LoadObject, _ key: LoadKey) -> Bool {
        load.phase == .new || isResponsible(for: load) || slots.isHeld(key) || exposedPod(of: load) != nil
    }

    private func needsResync(_ load: LoadObject) -> Bool {
        switch load.phase {
        case .new: false
        case .accepted: load.acceptedByNode == node || exposedPod(of: load) != nil
        case .prepared, .inProgress, .canceling: load.node == node
        case .completed, .failed, .canceled: load.hasFinalizer && isResponsible(for: load)
        }
    }

    /// This load's data-mover pod, when it is on this node.
    func exposedPod(of load: LoadObject) -> JSONValue? {
        guard let pod = view.pod(named: load.name),
            pod["metadata"]?["labels"]?[load.kind.ownerLabel]?.stringValue == load.name
        else { return nil }
        return pod
    }

    /// The start of a reconcile of `key`: the load as the view holds it (nil when gone or not for the
    /// built-in data mover), after freeing a slot held for a load that ended, runs on another node, or is
    /// another node's.
    mutating func beginReconcile(_ key: LoadKey) -> (load: LoadObject?, actions: [Action]) {
        guard let load = view.load(key), load.isBuiltInDataMover else { return (nil, releaseHold(key)) }
        let elsewhere = (load.node != nil && load.node != node) || (load.phase != .new && !isResponsible(for: load))
        return (load, load.phase.isFinal || elsewhere ? releaseHold(key) : [])
    }

    // MARK: - Prepare timeout

    /// How an Accepted load stands against the prepare timeout at `now`.
    enum PrepareDeadline: Sendable, Hashable {
        /// Older than the prepare timeout: fail it with this message (Velero's).
        case expired(message: String)
        /// Look again after this long.
        case remaining(Duration)
    }

    /// Checks an Accepted load against the prepare timeout (`--data-mover-prepare-timeout`) at `now`.
    mutating func prepareDeadline(_ load: LoadObject, now: Date) -> PrepareDeadline {
        jittered.remove(LoadKey(kind: load.kind, name: load.name))
        let waited = load.acceptedTime.map { now.timeIntervalSince($0) } ?? 0
        let timeout = configuration.prepareTimeout.timeInterval
        if waited >= timeout { return .expired(message: load.kind.prepareTimeoutMessage) }
        return .remaining(.milliseconds(Int64(max(0.01, timeout - waited) * 1000)))
    }

    // MARK: - Exposure

    /// Records whether the exposure of `key` is done (false: tried again later); nil forgets it.
    mutating func setExposure(_ key: LoadKey, done: Bool?) { exposures[key] = done }

    /// Whether `key`, accepted by this node, still has to be exposed (again).
    func needsExposure(_ key: LoadKey) -> Bool { exposures[key] != true }
}

extension Duration {
    /// The duration in seconds.
    var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
