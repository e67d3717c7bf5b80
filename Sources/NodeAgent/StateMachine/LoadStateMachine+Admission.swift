import Kubernetes

/// Admission of New loads: the one rule, the staggered acceptance race, tickets and the loads waiting for room.
extension LoadStateMachine {
    /// Whether this node agent takes a New load now.
    enum Admission: Sendable, Hashable {
        /// Go on: a watch reconciles the load now; a reconcile takes a prepare-queue ticket and accepts it
        /// (with capacity-aware placement, a slot of this node is held for it).
        case proceed
        /// Look again after this node's turn in the acceptance race.
        case after(Duration)
        /// Not for this node agent: its load affinity does not admit this node, or another node agent took it.
        case skip
        /// No room (the prepare queue is full, or no free slot on this node): it waits for a wake-up.
        case wait
    }

    /// The admission rule for the New load `key`, applied by a watch that sees it (`committing` false:
    /// the cheap checks only, so most of the node agents that cannot take a load never reconcile it) and
    /// again by the reconcile that would accept it (`committing` true: also skips a load another node agent
    /// took meanwhile, and holds a slot of this node for it). In order:
    /// 1. capacity-aware placement: this node's load affinity admits the load, and it has a free slot;
    /// 2. the prepare queue: fewer loads being prepared than `prepareQueueLength` (Velero's count of the
    ///    loads labelled `velero.io/expose-on-going=true`; the ticket is the exact check);
    /// 3. this node's turn in the acceptance race (``stagger(_:)``), waited once;
    /// 4. committing: still New, and a slot held.
    mutating func admitNew(_ key: LoadKey, committing: Bool) -> (admission: Admission, actions: [Action]) {
        guard let load = view.load(key) else { return (.skip, []) }
        let storageClass = configuration.capacityAwarePlacement ? placementStorageClass(of: load) : nil
        if let storageClass {
            guard admitsThisNode(storageClass: storageClass) else { return (.skip, []) }
            if slots.free <= 0 && !slots.isHeld(key) {
                statistics.noFreeSlot += 1
                waitToAccept(key)
                return (.wait, [])
            }
        }
        if prepareQueueLength > 0 && view.exposingCount >= prepareQueueLength {
            statistics.queueFull += 1
            waitToAccept(key)
            return (.wait, [])
        }
        if configuration.acceptStagger > .zero, jittered.insert(key).inserted {
            let turn = stagger(key)
            if turn > .zero || !committing { return (.after(turn), []) }
        }
        guard committing else { return (.proceed, []) }
        // Another node agent took it (its ticket or acceptance is in the view): a free slot of this node goes
        // to the next waiting load.
        if load.phase != .new {
            let wake = storageClass != nil && !slots.isHeld(key) && slots.free > 0
            return (.skip, wake ? wakeAcceptWaiters(1, staggered: false) : [])
        }
        if storageClass != nil && !slots.hold(key) {
            statistics.noFreeSlot += 1
            waitToAccept(key)
            return (.wait, [])
        }
        return (.proceed, [])
    }

    /// A New load seen in a watch event. Data movement loads this node agent cannot take now are set aside
    /// without a reconcile (every node agent sees every New load: with 50 of them most cannot take it).
    mutating func offerNew(_ load: LoadObject, _ key: LoadKey) -> [Action] {
        guard load.kind.usesLoadAffinity, load.isBuiltInDataMover, !load.cancelRequested, !load.isBeingDeleted else {
            return [.reconcile(key)]
        }
        switch admitNew(key, committing: false).admission {
        case .proceed: return [.reconcile(key)]
        case .after(let turn): return [turn > .zero ? .reconcileAfter(key, turn) : .reconcile(key)]
        case .skip, .wait: return []
        }
    }

    /// The outcome of taking a prepare-queue ticket for `key` other than getting one: `heldByOther` (another
    /// node agent is accepting it: drop it) or the queue full. Returns when to look at it again (nil: when
    /// something changes).
    mutating func ticketRefused(_ key: LoadKey, heldByOther: Bool) -> (retry: Duration?, actions: [Action]) {
        let actions = releaseHold(key)
        if heldByOther {
            statistics.acceptLost += 1
            return (nil, actions)
        }
        statistics.queueFull += 1
        // More tickets than loads labelled as being prepared: a ticket is about to be returned (its load just
        // started), so look again soon rather than wait for a wake-up that already passed.
        if view.exposingCount < prepareQueueLength { return (configuration.requeueDelay, actions) }
        waitToAccept(key)
        return (nil, actions)
    }

    /// The acceptance write of `key` succeeded.
    mutating func acceptSucceeded(_ key: LoadKey) { statistics.accepted += 1 }

    /// The acceptance write of `key` conflicted; `fresh` is the load as read again (nil: gone). Returns when
    /// to try again (nil: never), and whether to return the prepare-queue ticket taken for it.
    mutating func acceptConflicted(
        _ key: LoadKey,
        fresh: LoadObject?
    ) -> (retry: Duration?, returnTicket: Bool, actions: [Action]) {
        if fresh?.phase == .new { return (configuration.retryDelay, false, []) }
        statistics.acceptLost += 1
        // Gone, ended, or accepted by another node agent: this one holds nothing for it.
        let holdsNothing = fresh == nil || fresh?.phase.isFinal == true || fresh?.acceptedByNode != node
        guard holdsNothing else { return (nil, false, []) }
        return (nil, true, releaseHold(key))
    }

    // MARK: - Waking loads that wait for room

    /// Remembers a New load that found no room (the prepare queue full, or no free slot on this node).
    mutating func waitToAccept(_ key: LoadKey) {
        guard waiters.members.insert(key).inserted else { return }
        waiters.accept.append(key)
    }

    /// A place in the prepare queue was freed: wakes one waiting New load (after this node's turn in the
    /// acceptance race), if this node could take it.
    mutating func queuePlaceFreed() -> [Action] {
        if configuration.capacityAwarePlacement && slots.free <= 0 { return [] }
        return wakeAcceptWaiters(1)
    }

    /// A data-path slot of this node was freed: wakes the Prepared loads waiting for a slot, and with
    /// capacity-aware placement as many waiting New loads as there are free slots, at once (no other node
    /// agent is racing for this node's slots).
    mutating func slotFreed() -> [Action] {
        var actions = waiters.slot.map(Action.reconcile)
        waiters.slot = []
        if configuration.capacityAwarePlacement { actions += wakeAcceptWaiters(slots.free, staggered: false) }
        return actions
    }

    /// Re-queues up to `count` New loads that waited for room, oldest first; the others (taken by another
    /// node agent meanwhile, or gone) are dropped.
    mutating func wakeAcceptWaiters(_ count: Int, staggered: Bool = true) -> [Action] {
        guard count > 0 else { return [] }
        var taken: [LoadKey] = []
        while taken.count < count, waiters.head < waiters.accept.count {
            let key = waiters.accept[waiters.head]
            waiters.head += 1
            if waiters.members.remove(key) != nil && view.load(key)?.phase == .new { taken.append(key) }
        }
        if waiters.head > 1024 && waiters.head * 2 > waiters.accept.count {
            waiters.accept.removeFirst(waiters.head)
            waiters.head = 0
        }
        return taken.map { key -> Action in
            if staggered {
                let turn = stagger(key)
                return turn > .zero ? .reconcileAfter(key, turn) : .reconcile(key)
            }
            jittered.insert(key)
            return .reconcile(key)
        }
    }

    /// Frees the slot held for `key` when its data path never started (capacity-aware placement).
    mutating func releaseHold(_ key: LoadKey) -> [Action] {
        slots.releaseHold(key) ? slotFreed() : []
    }

    // MARK: - Placement

    /// This node's turn in the acceptance race for `key` (see ``NodeAgentController/Configuration/acceptStagger``):
    /// its rank among the nodes that may take the load — every node, or with capacity-aware placement the
    /// nodes its affinity admits that have a free slot in this node agent's view.
    mutating func stagger(_ key: LoadKey) -> Duration {
        guard configuration.acceptStagger > .zero, key.kind.usesLoadAffinity else { return .zero }
        let mine = Self.rankHash(node, key.name)
        var candidates = Array(configuration.nodeCapacity.keys)
        if configuration.capacityAwarePlacement, let load = view.load(key),
            let storageClass = placementStorageClass(of: load)
        {
            let committed = view.committedCounts
            let capacity = configuration.nodeCapacity
            candidates = admittedNodes(storageClass: storageClass).filter {
                committed[$0, default: 0] < capacity[$0, default: 0]
            }
        }
        let rank = candidates.count { $0 != node && Self.rankHash($0, key.name) < mine }
        return configuration.acceptStagger * rank
    }

    /// FNV-1a of node and load name: the same in every process (unlike `Hasher`).
    static func rankHash(_ node: String, _ load: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in node.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash = (hash ^ 0x2F) &* 0x100_0000_01b3
        for byte in load.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    /// The nodes the load affinity of `storageClass` admits (every known node when there is none).
    mutating func admittedNodes(storageClass: String) -> [String] {
        if let known = admitted[storageClass] { return known }
        let affinity = configuration.config.nodeAffinity(forStorageClass: storageClass)
        let labels = configuration.nodeLabels
        let nodes = configuration.nodeCapacity.keys.filter { affinity?.admits(labels[$0] ?? [:]) ?? true }.sorted()
        admitted[storageClass] = nodes
        return nodes
    }

    /// The storage class whose load affinity places the load's pod (data movement only).
    func placementStorageClass(of load: LoadObject) -> String? {
        switch load.kind {
        case .dataUpload:
            let source = load.object["spec"]?["csiSnapshot"]?["storageClass"]?.stringValue ?? ""
            return configuration.config.backupPVCSettings(forSourceStorageClass: source).storageClass
        case .dataDownload: return ""
        case .podVolumeBackup, .podVolumeRestore: return nil
        }
    }

    /// Whether this node may run a data-mover pod for `storageClass` (its load affinity admits this node;
    /// always true when the cluster's nodes are unknown).
    mutating func admitsThisNode(storageClass: String) -> Bool {
        configuration.nodeCapacity.isEmpty || admittedNodes(storageClass: storageClass).contains(node)
    }
}
