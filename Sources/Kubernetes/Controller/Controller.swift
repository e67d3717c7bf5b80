public import Logging
public import ServiceLifecycle

/// Runs a ``Reconciler`` over the objects of an ``Informer``: every change queues the object's key in a
/// ``WorkQueue``, and `workers` tasks reconcile the keys, requeueing with per-key backoff on errors
/// (controller-runtime's controller).
///
/// Workers start once the informer's cache has synced. On graceful shutdown the controller stops taking
/// keys, lets the reconciles under way finish, and returns; on cancellation the reconciles under way are
/// cancelled. Other sources (a second informer, a timer) may queue keys through ``queue``.
///
/// ```swift
/// let informer = Informer(client: client, configuration: .init(resource: backups, namespace: "velero"),
///                         logger: logger)
/// let controller = Controller(informer: informer, reconciler: BackupReconciler(cache: informer.cache),
///                             configuration: .init(name: "backup", workers: 4), logger: logger)
/// let group = ServiceGroup(configuration: .init(services: [controller], logger: logger))
/// try await group.run()
/// ```
public struct Controller<R: Reconciler, C: Clock>: Service where C.Duration == Duration {
    /// Name and tuning.
    public struct Configuration: Sendable {
        /// Shown in logs (`controller`).
        public var name: String
        /// Concurrent reconciles (of different keys).
        public var workers: Int
        /// The per-key backoff of requeues after errors.
        public var backoff: WorkQueue<NamespacedName, C>.Backoff
        /// Which of the informer's changes queue their key (controller-runtime's predicates); by default all.
        public var predicate: @Sendable (InformerEvent) -> Bool

        public init(
            name: String,
            workers: Int = 1,
            backoff: WorkQueue<NamespacedName, C>.Backoff = .init(),
            predicate: @escaping @Sendable (InformerEvent) -> Bool = { _ in true }
        ) {
            self.name = name
            self.workers = workers
            self.backoff = backoff
            self.predicate = predicate
        }
    }

    /// The informer whose changes are reconciled.
    public let informer: Informer<C>
    /// The keys waiting to be reconciled.
    public let queue: WorkQueue<NamespacedName, C>
    public let reconciler: R
    public let configuration: Configuration
    let logger: Logger

    /// Creates a controller and subscribes its queue to the informer's changes.
    public init(
        informer: Informer<C>,
        reconciler: R,
        configuration: Configuration,
        logger: Logger
    ) {
        self.informer = informer
        self.reconciler = reconciler
        self.configuration = configuration
        let queue = WorkQueue<NamespacedName, C>(clock: informer.clock, backoff: configuration.backoff)
        self.queue = queue
        var logger = logger
        logger[metadataKey: "controller"] = "\(configuration.name)"
        self.logger = logger
        let predicate = configuration.predicate
        informer.addHandler { event in
            if predicate(event), let key = event.key { queue.add(key) }
        }
    }

    /// Runs the informer, the queue's delays and the workers until a graceful shutdown (reconciles under way
    /// finish) or cancellation (they are cancelled). Returns once every task has ended.
    public func run() async throws {
        let queue = self.queue
        try await withGracefulShutdownHandler {
            try await runUntilShutDown()
        } onGracefulShutdown: {
            queue.shutDown()
        }
    }

    private func runUntilShutDown() async throws {
        logger.debug("controller starting", metadata: ["workers": "\(configuration.workers)"])
        defer { queue.shutDown() }
        // Each task says whether it is the workers' task: the informer and the delay timer run until cancelled
        // (the timer also ends at shutdown), so once the workers are done the others are stopped.
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await informer.runUntilCancelled()
                return false
            }
            group.addTask {
                await queue.runDelays()
                return false
            }
            group.addTask {
                // Workers end when the queue is shut down (graceful shutdown) or the task is cancelled.
                do {
                    try await cancelWhenGracefulShutdown { try await informer.waitUntilSynced() }
                } catch {
                    return true
                }
                await withDiscardingTaskGroup { workers in
                    for _ in 0..<max(1, configuration.workers) {
                        workers.addTask { await work() }
                    }
                }
                return true
            }
            while let workersDone = await group.next(), !workersDone {}
            group.cancelAll()
        }
        logger.debug("controller stopped")
    }

    private func work() async {
        while let key = await queue.next() {
            await process(key)
            queue.done(key)
        }
    }

    private func process(_ key: NamespacedName) async {
        do {
            let result = try await reconciler.reconcile(key)
            if let delay = result.requeueAfter {
                queue.forget(key)
                queue.add(key, after: delay)
            } else if result.requeue {
                queue.addRateLimited(key)
            } else {
                queue.forget(key)
            }
        } catch {
            if Task.isCancelled { return }
            let delay = queue.addRateLimited(key)
            logger.debug(
                "reconcile failed, retrying",
                metadata: ["object.key": "\(key)", "error": "\(error)", "retry.after": "\(delay)"]
            )
        }
    }
}
