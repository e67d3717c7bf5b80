package import Foundation
package import Kubernetes
package import Logging
import ServiceLifecycle
import Synchronization
import VeleroAPI

/// One node's node-agent controllers for DataUpload, DataDownload, PodVolumeBackup and PodVolumeRestore,
/// running against the cluster (Velero's `pkg/controller/data_upload_controller.go` and its siblings).
///
/// Watches the loads in the install namespace and the data-mover pods on this node (the runtime's
/// ``Informer``s: list, watch, relist after 410 Gone) and drives each load through New → Accepted → Prepared
/// → InProgress → Completed | Failed | Canceled over the API: every write is an update carrying the read
/// `resourceVersion`, so when several node agents act on one load exactly one succeeds. The cluster is the
/// source of truth; every decision is made by one ``LoadStateMachine`` behind one lock, and this controller
/// is its executor (the runtime's ``WorkQueue``, API writes, exposure, data paths).
///
/// ```swift
/// let controller = NodeAgentController(
///     client: client, config: resolved, template: template, nodes: nodes, dataPath: SimulatedDataPath(),
///     configuration: .init(nodeName: "node-1", namespace: "velero"), logger: logger)
/// let group = ServiceGroup(configuration: .init(services: [controller], gracefulShutdownSignals: [.sigterm], logger: logger))
/// try await group.run()
/// ```
package struct NodeAgentController: Service {
    /// Tuning of the controllers.
    package struct Configuration: Sendable {
        /// This node (`--node-name`).
        package var nodeName: String
        /// The install namespace, where loads and data-mover pods live.
        package var namespace: String
        /// The load kinds to handle.
        package var kinds: Set<LoadKind>
        /// `--data-mover-prepare-timeout`: an Accepted load older than this fails (Velero: 30 min).
        package var prepareTimeout: Duration
        /// Delay before a load refused for lack of room on this node is tried again (Velero: 5 s).
        package var requeueDelay: Duration
        /// Delay before retrying after a write conflict or an API error.
        package var retryDelay: Duration
        /// Every non-final load is reconciled again at this interval (Velero re-enqueues Accepted loads every 1 min).
        package var resyncInterval: Duration
        /// Concurrent reconciles.
        package var workers: Int
        /// `--host-pods`: where this node agent sees the kubelet pods directory (searched for pod volumes).
        package var hostPods: String
        /// `--node-pods`: where the node itself has the kubelet pods directory that this node agent sees at
        /// ``hostPods`` — what hosting pods mount. Nil: the `host-pods` hostPath of the node-agent DaemonSet, else
        /// ``hostPods`` (a node agent running on the node). A node agent run outside its node's filesystem (the
        /// sandbox's nodes, whose pods directories are host folders) sets it to `/var/lib/kubelet/pods`.
        package var nodePods: String?
        /// When true, data movement does not bind loads to full nodes: a node agent accepts a New DataUpload or
        /// DataDownload only when its own node is admitted by the load's affinity and has a data-path slot
        /// neither running nor held for another accepted load; it holds that slot from the acceptance until the
        /// data path starts, and narrows the pod's required node affinity to its own node. A node agent whose
        /// slots are all taken does not take part in the acceptance race; when one of its slots frees it takes
        /// the oldest New load it has seen. Off by default: Velero accepts on any node up to the prepare queue
        /// and leaves placement to the scheduler, so a Prepared load can wait on a full node while another
        /// node idles.
        package var capacityAwarePlacement: Bool
        /// `--resource-timeout`, passed to file-system backup/restore hosting pods (Velero: 10 min).
        package var resourceTimeout: String
        /// The backup repository's client-side cache limit (kopia's `cacheLimitMB` in the backup-repository
        /// ConfigMap; Velero's default 5 GiB): sizes the cache PVC of restores (``ExposerBuilder/cachePVC(owner:cacheLimitBytes:selectedNode:)``).
        package var cacheLimitBytes: Int64
        /// Whether a DataUpload's exposure takes over its CSI VolumeSnapshot as Velero's snapshot exposer does
        /// (wait until the source is ready to use, create the backup VolumeSnapshot and content named after
        /// the DataUpload, delete the source ones; delete the backup one at clean-up). Off for simulations
        /// whose DataUploads have no VolumeSnapshot.
        package var volumeSnapshotSteps: Bool
        /// How late a delayed requeue may run, so nearby deadlines share one wake-up of the work queue's
        /// timer (there is no polling: an idle node agent does not wake up).
        package var delayTolerance: Duration
        /// Staggers the acceptance race: for each load the nodes are ranked by a hash of node and load name
        /// (the same ranking in every node agent), and a node agent waits its rank × this before trying to
        /// accept the load. The first-ranked one tries at once; its acceptance reaches the others through their
        /// watches before their turn, and they skip the load without an API call (if it is down, the next one
        /// takes over a step later). Zero (the default) makes every node agent try at once, as Velero does.
        package var acceptStagger: Duration
        /// The shortest time between two writes of a running load's `status.progress` (Velero writes every
        /// report; the micro-service reports about once a second).
        package var progressInterval: Duration
        /// The time source of status timestamps.
        package var now: @Sendable () -> Date

        package init(
            nodeName: String,
            namespace: String = "velero",
            kinds: Set<LoadKind> = Set(LoadKind.allCases),
            prepareTimeout: Duration = .seconds(1800),
            requeueDelay: Duration = .seconds(5),
            retryDelay: Duration = .milliseconds(100),
            resyncInterval: Duration = .seconds(60),
            workers: Int = 4,
            hostPods: String = "/host_pods",
            nodePods: String? = nil,
            capacityAwarePlacement: Bool = false,
            delayTolerance: Duration = .milliseconds(5),
            acceptStagger: Duration = .zero,
            resourceTimeout: String = "10m0s",
            volumeSnapshotSteps: Bool = true,
            cacheLimitBytes: Int64 = ExposerBuilder.defaultCacheLimitBytes,
            progressInterval: Duration = .seconds(1),
            now: @escaping @Sendable () -> Date = { Date() }
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
            self.nodePods = nodePods
            self.capacityAwarePlacement = capacityAwarePlacement
            self.delayTolerance = delayTolerance
            self.acceptStagger = acceptStagger
            self.resourceTimeout = resourceTimeout
            self.volumeSnapshotSteps = volumeSnapshotSteps
            self.cacheLimitBytes = cacheLimitBytes
            self.progressInterval = progressInterval
            self.now = now
        }
    }

    let client: KubeClient
    let configuration: Configuration
    let config: ResolvedNodeAgentConfig
    let builder: ExposerBuilder
    let dataPath: any DataPath
    let logger: Logger
    /// What the decisions are made with (a copy of the state machine's, read without the lock).
    let decisions: LoadStateMachine.Configuration
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
    package init(
        client: KubeClient,
        config: ResolvedNodeAgentConfig,
        template: DataMoverPodTemplate,
        nodes: [ClusterFacts.Node],
        dataPath: any DataPath,
        configuration: Configuration,
        logger: Logger
    ) {
        self.client = client
        self.config = config
        self.builder = ExposerBuilder(config: config, template: template)
        self.dataPath = dataPath
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "node"] = .string(configuration.nodeName)
        self.logger = logger
        decisions = LoadStateMachine.Configuration(
            node: configuration.nodeName,
            kinds: configuration.kinds,
            config: config,
            nodes: nodes,
            prepareTimeout: configuration.prepareTimeout,
            requeueDelay: configuration.requeueDelay,
            retryDelay: configuration.retryDelay,
            capacityAwarePlacement: configuration.capacityAwarePlacement,
            acceptStagger: configuration.acceptStagger
        )
        state = ControllerState(
            machine: LoadStateMachine(configuration: decisions),
            client: client,
            namespace: configuration.namespace,
            kinds: configuration.kinds,
            delayTolerance: configuration.delayTolerance,
            logger: logger
        )
    }

    /// This node's data-path concurrency.
    package var concurrency: Int { state.decide { $0.slots.capacity } }

    /// The counters so far.
    package var statistics: NodeAgentStatistics { state.decide { $0.statistics } }

    /// Whether every watched kind of load has been listed into the view (its watch started from there): the
    /// point after which this node agent sees every new load.
    package var isSynced: Bool { state.loadInformers.values.allSatisfy(\.hasSynced) }

    var node: String { configuration.nodeName }
    var namespace: String { configuration.namespace }

    var prepareQueue: PrepareQueue? {
        guard config.prepareQueueLength > 0 else { return nil }
        return PrepareQueue(
            client: client,
            namespace: namespace,
            node: node,
            limit: config.prepareQueueLength,
            machine: state.machine,
            onConflict: { [state] in state.decide { $0.statistics.ticketConflicts += 1 } }
        )
    }

    /// Performs the actions of the state machine (after its lock is released).
    func perform(_ actions: [LoadStateMachine.Action]) {
        for action in actions {
            switch action {
            case .reconcile(let key): state.queue.add(key)
            case .reconcileAfter(let key, let delay): state.queue.add(key, after: delay)
            }
        }
    }

    /// Applies an event to the state machine and performs the actions it returns.
    func handle(_ event: (inout LoadStateMachine) -> [LoadStateMachine.Action]) {
        perform(state.decide(event))
    }

    /// Runs the watches, the work queue and the data paths until cancelled or a graceful shutdown. Data
    /// paths interrupted by a shutdown leave their loads InProgress; the next start resumes them.
    package func run() async throws {
        let controller = self
        await cancelWhenGracefulShutdown {
            await controller.runControllers()
        }
    }

    private func runControllers() async {
        logger.info(
            "node agent controllers starting",
            metadata: ["concurrency": "\(concurrency)", "prepareQueueLength": "\(config.prepareQueueLength)"]
        )
        for (kind, informer) in state.loadInformers {
            informer.addHandler { event in handleLoad(event, kind: kind) }
        }
        state.podInformer.addHandler { event in handlePod(event) }
        state.restoredPodInformer?.addHandler { event in handleRestoredPod(event) }
        await withDiscardingTaskGroup { group in
            for informer in state.informers { group.addTask { await informer.runUntilCancelled() } }
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
            state.decide {
                $0.statistics.reconciles += 1
                $0.statistics.reconcileTime += elapsed
            }
            state.queue.done(key)
            if let requeue { state.queue.add(key, after: requeue) }
        }
    }

    private func reconcileLogged(_ key: LoadKey) async -> Duration? {
        do {
            return try await reconcile(key)
        } catch let e as KubeError where e.code == .conflict {
            state.decide { $0.statistics.conflicts += 1 }
            return configuration.retryDelay
        } catch is CancellationError {
            return nil
        } catch {
            if Task.isCancelled { return nil }
            logger.debug("reconcile failed, retrying", metadata: ["load": "\(key)", "error": "\(error)"])
            return configuration.requeueDelay
        }
    }

    /// Periodically hands the state machine a resync tick (``LoadStateMachine/resyncTick(now:)``) and sweeps
    /// stale prepare-queue tickets when it says they are due.
    private func resync() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.resyncInterval) } catch { return }
            let now = configuration.now()
            let (actions, sweep) = state.decide { $0.resyncTick(now: now) }
            perform(actions)
            if sweep, let queue = prepareQueue { try? await queue.sweep(now: now, watched: configuration.kinds) }
        }
    }

    // MARK: - Watches

    /// A change of a load in the install namespace (an informer per kind lists, then watches them).
    private func handleLoad(_ event: InformerEvent, kind: LoadKind) {
        let load = LoadObject(kind: kind, object: event.object.value)
        switch event {
        case .added, .updated: handle { $0.loadObserved(load) }
        case .deleted: handle { $0.loadDeleted(LoadKey(kind: kind, name: load.name)) }
        }
    }

    /// A change of a pod of the install namespace on this node; those an exposer made (labelled with their
    /// load, ``LoadKind/ownerLabel``) are kept. No label selector: file-system backup/restore hosting pods
    /// carry no `velero.io/exposer-pod-group` label (Velero sets none), only their load's label.
    private func handlePod(_ event: InformerEvent) {
        let owner = LoadKind.owning(podLabels: event.object.labels).map { LoadKey(kind: $0.0, name: $0.1) }
        switch event {
        case .added, .updated: handle { $0.podChanged(.upserted(event.object.value), owner: owner) }
        case .deleted: handle { $0.podChanged(.deleted(name: event.object.name ?? ""), owner: owner) }
        }
    }

    /// A change of a restored pod on this node (every namespace; pods a restore created carry
    /// `velero.io/restore-name`): when its `restore-wait` init container runs, its New PodVolumeRestores are
    /// reconciled at once (Velero's PVR controller watches pods the same way, `findPVRForTargetPod`).
    private func handleRestoredPod(_ event: InformerEvent) {
        if case .deleted = event { return }
        let pod = event.object
        let name = "\(pod.namespace ?? "")/\(pod.name ?? "")"
        guard Self.restoreWaitState(ofPod: pod.value, name: name) == .running else { return }
        for load in state.decide({ $0.view.newLoads(of: .podVolumeRestore) }) {
            let (namespace, podName) = load.clientPod
            let uid = load.object["spec"]?["pod"]?["uid"]?.stringValue
            guard namespace == pod.namespace, podName == pod.name, uid == nil || uid == pod.uid else { continue }
            state.queue.add(LoadKey(kind: .podVolumeRestore, name: load.name))
        }
    }
}

/// The mutable parts of a ``NodeAgentController`` (shared by its copies and tasks): every decision's state
/// in one ``LoadStateMachine`` behind one lock, and the executor's handles (informers, work queue, data-path
/// starts and cancel signals).
final class ControllerState: Sendable {
    /// The decisions. Change it only through ``decide(_:)`` and perform the actions it returns after the lock
    /// is released (the work queue asks it which lane a key goes to).
    let machine: SharedLoadStateMachine
    /// Loads past New (and loads gone from the view) are urgent: they go before the New loads on offer.
    let queue: WorkQueue<LoadKey, ContinuousClock>
    /// The loads of each watched kind in the install namespace (list, then watch; relist after 410 Gone).
    let loadInformers: [LoadKind: Informer<ContinuousClock>]
    /// The pods of the install namespace on this node.
    let podInformer: Informer<ContinuousClock>
    /// The restored pods on this node, in every namespace (only when PodVolumeRestores are watched).
    let restoredPodInformer: Informer<ContinuousClock>?
    /// Data paths to start (consumed by the data-path runner).
    let starts: AsyncStream<StartRequest>
    let startsContinuation: AsyncStream<StartRequest>.Continuation
    /// How to stop each running data path (``DataPathSignals``).
    let signals = DataPathSignals()

    struct StartRequest: Sendable {
        var load: LoadObject
        var resumed: Bool
    }

    init(
        machine: LoadStateMachine,
        client: KubeClient,
        namespace: String,
        kinds: Set<LoadKind>,
        delayTolerance: Duration,
        logger: Logger
    ) {
        let shared = SharedLoadStateMachine(machine)
        self.machine = shared
        queue = WorkQueue(
            tolerance: delayTolerance,
            isUrgent: { key in shared.withLock { $0.view.load(key).map { $0.phase != .new } ?? true } }
        )
        (starts, startsContinuation) = AsyncStream.makeStream(of: StartRequest.self)
        let node = FieldSelector([.init(field: "spec.nodeName", operator: .equals, value: machine.node)])
        var informers: [LoadKind: Informer<ContinuousClock>] = [:]
        for kind in kinds {
            informers[kind] = Informer(
                client: client,
                configuration: .init(resource: kind.gvr, namespace: namespace),
                logger: logger
            )
        }
        loadInformers = informers
        podInformer = Informer(
            client: client,
            configuration: .init(resource: .pods, namespace: namespace, fieldSelector: node),
            logger: logger
        )
        restoredPodInformer =
            kinds.contains(.podVolumeRestore)
            ? Informer(
                client: client,
                configuration: .init(
                    resource: .pods,
                    labelSelector: try? LabelSelector(parsing: VeleroLabels.restoreName),
                    fieldSelector: node
                ),
                logger: logger
            )
            : nil
    }

    /// Every informer of the node agent.
    var informers: [Informer<ContinuousClock>] {
        Array(loadInformers.values) + [podInformer] + (restoredPodInformer.map { [$0] } ?? [])
    }

    /// Reads or changes the state machine under its lock.
    func decide<Result: Sendable>(_ body: (inout LoadStateMachine) -> Result) -> Result { machine.withLock(body) }
}
