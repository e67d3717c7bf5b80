public import Foundation
public import Kubernetes
public import Logging
public import ServiceLifecycle
import Synchronization
import VeleroAPI

/// One node's node-agent controllers for DataUpload, DataDownload, PodVolumeBackup and PodVolumeRestore,
/// running against the cluster (Velero's `pkg/controller/data_upload_controller.go` and its siblings).
///
/// Watches the loads in the install namespace (list + watch, resumed from the last resourceVersion) and the
/// data-mover pods on this node, and drives each load through New → Accepted → Prepared → InProgress →
/// Completed | Failed | Canceled over the API: every write is an update carrying the read `resourceVersion`,
/// so when several node agents act on one load exactly one succeeds. The cluster is the source of truth;
/// the controller keeps only an informer-like cache, a work queue and the data paths it runs.
///
/// ```swift
/// let controller = NodeAgentController(
///     client: client, config: resolved, template: template, nodes: nodes, dataPath: SimulatedDataPath(),
///     configuration: .init(nodeName: "node-1", namespace: "velero"), logger: logger)
/// let group = ServiceGroup(configuration: .init(services: [controller], gracefulShutdownSignals: [.sigterm], logger: logger))
/// try await group.run()
/// ```
public struct NodeAgentController: Service {
    /// Tuning of the controllers.
    public struct Configuration: Sendable {
        /// This node (`--node-name`).
        public var nodeName: String
        /// The install namespace, where loads and data-mover pods live.
        public var namespace: String
        /// The load kinds to handle.
        public var kinds: Set<LoadKind>
        /// `--data-mover-prepare-timeout`: an Accepted load older than this fails (Velero: 30 min).
        public var prepareTimeout: Duration
        /// Delay before a load refused for lack of room on this node is tried again (Velero: 5 s).
        public var requeueDelay: Duration
        /// Delay before retrying after a write conflict or an API error.
        public var retryDelay: Duration
        /// Every non-final load is reconciled again at this interval (Velero re-enqueues Accepted loads every 1 min).
        public var resyncInterval: Duration
        /// Concurrent reconciles.
        public var workers: Int
        /// `--host-pods`: where this node agent sees the kubelet pods directory (searched for pod volumes).
        public var hostPods: String
        /// When true, data movement does not bind loads to full nodes: a node agent accepts a New DataUpload or
        /// DataDownload only when its own node is admitted by the load's affinity and has a data-path slot
        /// neither running nor held for another accepted load; it holds that slot from the acceptance until the
        /// data path starts, and narrows the pod's required node affinity to its own node. A node agent whose
        /// slots are all taken does not take part in the acceptance race; when one of its slots frees it takes
        /// the oldest New load it has seen. Off by default: Velero accepts on any node up to the prepare queue
        /// and leaves placement to the scheduler, so a Prepared load can wait on a full node while another
        /// node idles.
        public var capacityAwarePlacement: Bool
        /// `--resource-timeout`, passed to file-system backup/restore hosting pods (Velero: 10 min).
        public var resourceTimeout: String
        /// The backup repository's client-side cache limit (kopia's `cacheLimitMB` in the backup-repository
        /// ConfigMap; Velero's default 5 GiB): sizes the cache PVC of restores (``ExposerBuilder/cachePVC(owner:cacheLimitBytes:selectedNode:)``).
        public var cacheLimitBytes: Int64
        /// Whether a DataUpload's exposure takes over its CSI VolumeSnapshot as Velero's snapshot exposer does
        /// (wait until the source is ready to use, create the backup VolumeSnapshot and content named after
        /// the DataUpload, delete the source ones; delete the backup one at clean-up). Off for simulations
        /// whose DataUploads have no VolumeSnapshot.
        public var volumeSnapshotSteps: Bool
        /// How late a delayed requeue may run, so nearby deadlines share one wake-up of the work queue's
        /// timer (there is no polling: an idle node agent does not wake up).
        public var delayTolerance: Duration
        /// Staggers the acceptance race: for each load the nodes are ranked by a hash of node and load name
        /// (the same ranking in every node agent), and a node agent waits its rank × this before trying to
        /// accept the load. The first-ranked one tries at once; its acceptance reaches the others through their
        /// watches before their turn, and they skip the load without an API call (if it is down, the next one
        /// takes over a step later). Zero (the default) makes every node agent try at once, as Velero does.
        public var acceptStagger: Duration
        /// The time source of status timestamps.
        public var now: @Sendable () -> Date

        public init(
            nodeName: String, namespace: String = "velero", kinds: Set<LoadKind> = Set(LoadKind.allCases),
            prepareTimeout: Duration = .seconds(1800), requeueDelay: Duration = .seconds(5),
            retryDelay: Duration = .milliseconds(100), resyncInterval: Duration = .seconds(60), workers: Int = 4,
            hostPods: String = "/host_pods", capacityAwarePlacement: Bool = false, delayTolerance: Duration = .milliseconds(5),
            acceptStagger: Duration = .zero, resourceTimeout: String = "10m0s", volumeSnapshotSteps: Bool = true,
            cacheLimitBytes: Int64 = ExposerBuilder.defaultCacheLimitBytes, now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.nodeName = nodeName
            self.namespace = namespace
            self.kinds = kinds
            self.prepareTimeout = prepareTimeout
            self.requeueDelay = requeueDelay
            self.retryDelay = retryDelay
            self.resyncInterval = resyncInterval
            self.workers = workers
            self.hostPods = hostPods
            self.capacityAwarePlacement = capacityAwarePlacement
            self.delayTolerance = delayTolerance
            self.acceptStagger = acceptStagger
            self.resourceTimeout = resourceTimeout
            self.volumeSnapshotSteps = volumeSnapshotSteps
            self.cacheLimitBytes = cacheLimitBytes
            self.now = now
        }
    }

    let client: KubeClient
    let configuration: Configuration
    let config: ResolvedNodeAgentConfig
    let builder: ExposerBuilder
    let dataPath: any DataPath
    let logger: Logger
    /// Concurrency of every known node (for capacity-aware placement).
    let nodeCapacity: [String: Int]
    /// Labels of every known node.
    let nodeLabels: [String: [String: String]]
    let state: ControllerState

    /// Creates the controllers of one node.
    ///
    /// - Parameters:
    ///   - client: the API client.
    ///   - config: the resolved node-agent configuration (read once at start).
    ///   - template: what data-mover pods inherit from the node-agent DaemonSet.
    ///   - nodes: the cluster's nodes and labels, read at start; this node's concurrency comes from its labels
    ///     (the global number when it is not listed).
    ///   - dataPath: what moves the bytes.
    ///   - configuration: node name, namespace and tuning.
    ///   - logger: where the controllers log (info and below).
    public init(
        client: KubeClient, config: ResolvedNodeAgentConfig, template: DataMoverPodTemplate, nodes: [ClusterFacts.Node],
        dataPath: any DataPath, configuration: Configuration, logger: Logger
    ) {
        self.client = client
        self.config = config
        self.builder = ExposerBuilder(config: config, template: template)
        self.dataPath = dataPath
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "node"] = .string(configuration.nodeName)
        self.logger = logger
        var capacity: [String: Int] = [:]
        for node in nodes { capacity[node.name] = config.concurrency(forNodeLabels: node.labels).number }
        nodeCapacity = capacity
        var labels: [String: [String: String]] = [:]
        for node in nodes { labels[node.name] = node.labels }
        nodeLabels = labels
        let own = capacity[configuration.nodeName] ?? config.globalConcurrency
        state = ControllerState(capacity: own, delayTolerance: configuration.delayTolerance)
    }

    /// This node's data-path concurrency.
    public var concurrency: Int { state.manager.capacity }

    /// The counters so far.
    public var statistics: NodeAgentStatistics { state.statistics.withLock { $0 } }

    /// Whether the cache holds every watched kind of load (each listed once, its watch started from there):
    /// the point after which this node agent sees every new load.
    public var isSynced: Bool {
        let synced = state.synced.withLock { $0 }
        return configuration.kinds.allSatisfy { synced.contains($0.gvr) }
    }

    var node: String { configuration.nodeName }
    var namespace: String { configuration.namespace }

    var prepareQueue: PrepareQueue? {
        guard config.prepareQueueLength > 0 else { return nil }
        return PrepareQueue(
            client: client, namespace: namespace, node: node, limit: config.prepareQueueLength, cache: state.cache,
            onConflict: { [state] in state.statistics.withLock { $0.ticketConflicts += 1 } })
    }

    /// Runs the watches, the work queue and the data paths until cancelled or a graceful shutdown. Data
    /// paths interrupted by a shutdown leave their loads InProgress; the next start resumes them.
    public func run() async throws {
        let controller = self
        await cancelWhenGracefulShutdown {
            await controller.runControllers()
        }
    }

    private func runControllers() async {
        logger.info(
            "node agent controllers starting",
            metadata: ["concurrency": "\(concurrency)", "prepareQueueLength": "\(config.prepareQueueLength)"])
        await withDiscardingTaskGroup { group in
            for kind in configuration.kinds {
                group.addTask { await watchLoads(kind) }
            }
            group.addTask { await watchPods() }
            if configuration.kinds.contains(.podVolumeRestore) { group.addTask { await watchRestoredPods() } }
            group.addTask { await state.queue.runDelays() }
            group.addTask { await resync() }
            group.addTask { await runDataPaths() }
            for _ in 0..<max(1, configuration.workers) {
                group.addTask { await work() }
            }
        }
        state.queue.shutDown()
        logger.info("node agent controllers stopped")
    }

    // MARK: - Work queue

    private func work() async {
        while let key = await state.queue.next() {
            let started = ContinuousClock.now
            let requeue = await reconcileLogged(key)
            let elapsed = ContinuousClock.now - started
            state.statistics.withLock {
                $0.reconciles += 1
                $0.reconcileTime += elapsed
            }
            state.queue.done(key)
            if let requeue { state.queue.add(key, after: requeue) }
        }
    }

    private func reconcileLogged(_ key: LoadKey) async -> Duration? {
        do {
            return try await reconcile(key)
        } catch let e as KubeError where e.code == .conflict {
            state.statistics.withLock { $0.conflicts += 1 }
            return configuration.retryDelay
        } catch is CancellationError {
            return nil
        } catch {
            if Task.isCancelled { return nil }
            logger.debug("reconcile failed, retrying", metadata: ["load": "\(key)", "error": "\(error)"])
            return configuration.requeueDelay
        }
    }

    /// Periodically looks again at the loads this node is responsible for (Velero re-enqueues Accepted loads
    /// every minute to check the prepare timeout), wakes one load waiting for room (in case a wake-up was
    /// missed), and sweeps stale prepare-queue tickets (at most every half ``PrepareQueue/staleAfter``: each
    /// sweep lists the slots). New loads of other nodes are not re-enqueued: with thousands of loads and many
    /// nodes that alone would be a storm of reconciles.
    private func resync() async {
        var swept: Date?
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.resyncInterval) } catch { return }
            for load in state.cache.unsettledLoads() where needsResync(load) {
                state.queue.add(LoadKey(kind: load.kind, name: load.name))
            }
            wakeAcceptWaiters(configuration.capacityAwarePlacement ? max(1, state.manager.free) : 1)
            let now = configuration.now()
            if let queue = prepareQueue, swept.map({ now.timeIntervalSince($0) >= PrepareQueue.staleAfter / 2 }) ?? true {
                swept = now
                try? await queue.sweep(now: now, watched: configuration.kinds)
            }
        }
    }

    private func needsResync(_ load: LoadObject) -> Bool {
        switch load.phase {
        case .new: return false
        case .accepted: return load.acceptedByNode == node || exposedPod(of: load) != nil
        case .prepared, .inProgress, .canceling: return load.node == node
        case .completed, .failed, .canceled: return load.hasFinalizer && isResponsible(for: load)
        }
    }

    // MARK: - Watches

    private func watchLoads(_ kind: LoadKind) async {
        await watch(kind.gvr, in: namespace, options: WatchOptions(timeoutSeconds: 600), listFirst: true) { event in
            switch event.type {
            case .restarted: state.cache.reset(kind)
            case .bookmark: break
            case .deleted:
                let load = LoadObject(kind: kind, object: event.object.value)
                let key = LoadKey(kind: kind, name: load.name)
                state.cache.remove(key)
                _ = state.exposures.withLock { $0.removeValue(forKey: key) }
                _ = state.jittered.withLock { $0.remove(key) }
                if state.manager.isHeld(key) { state.queue.add(key) }
            case .added, .modified:
                let load = LoadObject(kind: kind, object: event.object.value)
                let key = LoadKey(kind: kind, name: load.name)
                let (previous, changed) = state.cache.update(load)
                guard changed else { return }
                // Past Accepted (possibly on another node): this node agent exposes it no more.
                if load.phase != .new && load.phase != .accepted && previous?.phase == .accepted {
                    _ = state.exposures.withLock { $0.removeValue(forKey: key) }
                }
                if load.phase == .new {
                    offerNew(load, key)
                } else {
                    if previous?.phase == .new { _ = state.jittered.withLock { $0.remove(key) } }
                    if concerns(load, key) { state.queue.add(key) }
                }
                // A load left the prepare queue (its data path started or it ended): a load waiting for room
                // may go now. Velero mode: a freed data-path slot anywhere may let a load go too.
                let leftQueue = previous?.isExposing == true && !load.isExposing
                let freedSlot = !configuration.capacityAwarePlacement && load.phase.isFinal && previous?.phase.isFinal == false
                if leftQueue || freedSlot { queuePlaceFreed() }
            }
        }
    }

    /// Watches the pods of the install namespace on this node and keeps those an exposer made (labelled
    /// with their load, ``LoadKind/ownerLabel``). No label selector: file-system backup/restore hosting pods
    /// carry no `velero.io/exposer-pod-group` label (Velero sets none), only their load's label.
    private func watchPods() async {
        let options = WatchOptions(
            fieldSelector: FieldSelector([.init(field: "spec.nodeName", operator: .equals, value: node)]),
            timeoutSeconds: 600)
        await watch(.pods, options: options) { event in
            let pod = event.object.value
            let owner = LoadKind.owning(podLabels: event.object.labels)
            switch event.type {
            case .restarted: state.cache.resetPods()
            case .bookmark: return
            case .deleted: state.cache.removePod(named: event.object.name ?? "")
            case .added, .modified:
                guard owner != nil else { return }
                state.cache.putPod(pod)
            }
            guard let (kind, name) = owner, configuration.kinds.contains(kind) else { return }
            state.queue.add(LoadKey(kind: kind, name: name))
        }
    }

    /// Watches the restored pods on this node (every namespace; pods a restore created carry
    /// `velero.io/restore-name`): when a pod's `restore-wait` init container runs, its New PodVolumeRestores
    /// are reconciled at once (Velero's PVR controller watches pods the same way, `findPVRForTargetPod`).
    private func watchRestoredPods() async {
        let options = WatchOptions(
            labelSelector: try? LabelSelector(parsing: VeleroLabels.restoreName),
            fieldSelector: FieldSelector([.init(field: "spec.nodeName", operator: .equals, value: node)]),
            timeoutSeconds: 600)
        await watch(.pods, in: nil, options: options) { event in
            guard event.type == .added || event.type == .modified else { return }
            let pod = event.object
            let name = "\(pod.namespace ?? "")/\(pod.name ?? "")"
            guard Self.restoreWaitState(ofPod: pod.value, name: name) == .running else { return }
            for load in state.cache.newLoads(of: .podVolumeRestore) {
                let (namespace, podName) = load.clientPod
                let uid = load.object["spec"]?["pod"]?["uid"]?.stringValue
                guard namespace == pod.namespace, podName == pod.name, uid == nil || uid == pod.uid else { continue }
                state.queue.add(LoadKey(kind: .podVolumeRestore, name: load.name))
            }
        }
    }

    /// Whether a change of `load` is for this node agent to act on: a New load (any node agent may take
    /// it), one this node accepted, runs or holds a slot for, or one whose data-mover pod is on this node.
    /// Loads of other nodes are only cached: with 50 node agents, reconciling every change everywhere would
    /// be 50 reconciles for each change that matters to one.
    func concerns(_ load: LoadObject, _ key: LoadKey) -> Bool {
        load.phase == .new || isResponsible(for: load) || state.manager.isHeld(key) || exposedPod(of: load) != nil
    }

    /// A New load seen in a watch event. Data movement loads this node agent cannot take now are set aside
    /// without a reconcile (every node agent sees every New load: with 50 of them most cannot take it):
    /// never when its affinity does not admit this node, until a slot frees when it has none, until a place
    /// frees when the prepare queue is full. Otherwise it is reconciled after this node's turn in the
    /// acceptance race.
    func offerNew(_ load: LoadObject, _ key: LoadKey) {
        guard load.kind.usesLoadAffinity, load.isBuiltInDataMover, !load.cancelRequested, !load.isBeingDeleted else {
            state.queue.add(key)
            return
        }
        if configuration.capacityAwarePlacement, let storageClass = placementStorageClass(of: load) {
            guard admitsThisNode(storageClass: storageClass) else { return }
            if state.manager.free <= 0 && !state.manager.isHeld(key) {
                state.statistics.withLock { $0.noFreeSlot += 1 }
                state.waitToAccept(key)
                return
            }
        }
        if config.prepareQueueLength > 0 && state.cache.exposingCount() >= config.prepareQueueLength {
            state.statistics.withLock { $0.queueFull += 1 }
            state.waitToAccept(key)
            return
        }
        if configuration.acceptStagger > .zero, state.jittered.withLock({ $0.insert(key).inserted }) {
            state.queue.add(key, after: stagger(key))
        } else {
            state.queue.add(key)
        }
    }

    /// A place in the prepare queue was freed: wakes one waiting New load (after this node's turn in the
    /// acceptance race), if this node could take it.
    func queuePlaceFreed() {
        if configuration.capacityAwarePlacement && state.manager.free <= 0 { return }
        wakeAcceptWaiters(1)
    }

    /// A data-path slot of this node was freed (capacity-aware placement): wakes the Prepared loads waiting
    /// for a slot, and as many waiting New loads as there are free slots, at once (no other node agent is
    /// racing for this node's slots).
    func slotFreed() {
        wakeSlotWaiters()
        guard configuration.capacityAwarePlacement else { return }
        wakeAcceptWaiters(state.manager.free, staggered: false)
    }

    /// Re-queues up to `count` New loads that waited for room, oldest first.
    func wakeAcceptWaiters(_ count: Int, staggered: Bool = true) {
        for key in state.takeAcceptWaiters(count) {
            if staggered {
                state.queue.add(key, after: stagger(key))
            } else {
                _ = state.jittered.withLock { $0.insert(key) }
                state.queue.add(key)
            }
        }
    }

    /// This node's turn in the acceptance race for `key` (see ``Configuration/acceptStagger``): its rank
    /// among the nodes that may take the load — every node, or with capacity-aware placement the nodes its
    /// affinity admits that have a free slot in this node agent's view.
    func stagger(_ key: LoadKey) -> Duration {
        guard configuration.acceptStagger > .zero, key.kind.usesLoadAffinity else { return .zero }
        let mine = Self.rankHash(node, key.name)
        var candidates = Array(nodeCapacity.keys)
        if configuration.capacityAwarePlacement, let load = state.cache.load(key), let storageClass = placementStorageClass(of: load) {
            let committed = state.cache.committedCounts()
            candidates = admittedNodes(storageClass: storageClass).filter {
                committed[$0, default: 0] < nodeCapacity[$0, default: 0]
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

    /// Runs a watch in the install namespace until cancelled, starting again after errors.
    private func watch(
        _ resource: GroupVersionResource, options: WatchOptions, _ handle: (WatchEvent) -> Void
    ) async {
        await watch(resource, in: namespace, options: options, handle)
    }

    /// Runs a watch in `namespace` (nil: every namespace) until cancelled, starting again after errors.
    /// `listFirst`: as an informer does, list first (handing over `.restarted`, then every object as
    /// `.added`), mark the cache of `resource` synced (``isSynced``), then watch from the list's
    /// resourceVersion.
    private func watch(
        _ resource: GroupVersionResource, in namespace: String?, options: WatchOptions, listFirst: Bool = false,
        _ handle: (WatchEvent) -> Void
    ) async {
        while !Task.isCancelled {
            do {
                var options = options
                if listFirst {
                    let list = try await client.listForWatch(resource, namespace: namespace, options: options)
                    list.events.forEach(handle)
                    options.resourceVersion = list.resourceVersion
                    _ = state.synced.withLock { $0.insert(resource) }
                }
                for try await event in client.watch(resource, namespace: namespace, options: options) {
                    handle(event)
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("watch failed, starting again", metadata: ["resource": "\(resource)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

/// The mutable parts of a ``NodeAgentController`` (shared by its copies and tasks).
final class ControllerState: Sendable {
    let cache: LoadCache
    /// Loads past New (and loads gone from the cache) are urgent: they go before the New loads on offer.
    let queue: WorkQueue<LoadKey>
    let manager: DataPathManager
    let statistics = Mutex(NodeAgentStatistics())
    /// The load resources whose list has been taken into the cache (see ``NodeAgentController/isSynced``).
    let synced = Mutex<Set<GroupVersionResource>>([])
    /// Data paths to start (consumed by the data-path runner).
    let starts: AsyncStream<StartRequest>
    let startsContinuation: AsyncStream<StartRequest>.Continuation

    /// New loads that already waited their turn in the acceptance race (or need not).
    let jittered = Mutex<Set<LoadKey>>([])
    /// The exposure of the loads this node accepted: true when done, false while a DataUpload waits for
    /// its source VolumeSnapshot (tried again). A load missing here (this node agent restarted while it was
    /// Accepted) is exposed again once; exposing is idempotent.
    let exposures = Mutex<[LoadKey: Bool]>([:])
    /// The nodes each storage class's load affinity admits (computed once per storage class).
    let admitted = Mutex<[String: [String]]>([:])

    private struct Waiters {
        var queue: [LoadKey] = []
        var head = 0
        var members: Set<LoadKey> = []
        var slot: [LoadKey] = []
    }
    private let waiters = Mutex(Waiters())

    struct StartRequest: Sendable {
        var load: LoadObject
        var resumed: Bool
    }

    init(capacity: Int, delayTolerance: Duration) {
        let cache = LoadCache()
        self.cache = cache
        queue = WorkQueue(tolerance: delayTolerance, isUrgent: { key in cache.load(key).map { $0.phase != .new } ?? true })
        manager = DataPathManager(capacity: capacity)
        (starts, startsContinuation) = AsyncStream.makeStream(of: StartRequest.self)
    }

    /// Remembers a New load that found no room (the prepare queue full, or no free slot on this node).
    func waitToAccept(_ key: LoadKey) {
        waiters.withLock { w in
            guard w.members.insert(key).inserted else { return }
            w.queue.append(key)
        }
    }

    /// Takes up to `count` waiting loads that are still New in the cache, oldest first; the others (taken by
    /// another node agent meanwhile, or gone) are dropped.
    func takeAcceptWaiters(_ count: Int) -> [LoadKey] {
        guard count > 0 else { return [] }
        return waiters.withLock { w in
            var taken: [LoadKey] = []
            while taken.count < count, w.head < w.queue.count {
                let key = w.queue[w.head]
                w.head += 1
                if w.members.remove(key) != nil && cache.load(key)?.phase == .new { taken.append(key) }
            }
            if w.head > 1024 && w.head * 2 > w.queue.count {
                w.queue.removeFirst(w.head)
                w.head = 0
            }
            return taken
        }
    }

    /// Remembers a Prepared load waiting for a data-path slot on this node.
    func waitForSlot(_ key: LoadKey) {
        waiters.withLock { w in if !w.slot.contains(key) { w.slot.append(key) } }
    }

    /// Takes the loads waiting for a slot.
    func takeSlotWaiters() -> [LoadKey] {
        waiters.withLock { w in
            defer { w.slot = [] }
            return w.slot
        }
    }
}
