public import Logging
public import ServiceLifecycle
import Synchronization

/// Lists then watches one resource into an ``InformerCache`` and hands every change to its handlers
/// (client-go's shared informer): relists after 410 Gone or a failed watch, hands the cached objects over
/// again at each resync, and reports ``hasSynced`` once the first list is in the cache.
///
/// Register handlers (``addHandler(_:)``, ``changes()``) before ``run()``; run it once, as a `Service` or
/// inside a task group (``Controller`` does).
///
/// ```swift
/// let informer = Informer(client: client, configuration: .init(resource: .configMaps, namespace: "velero"),
///                         logger: logger)
/// informer.addHandler { event in queue.add(event.key) }
/// try await informer.run()  // until cancelled or a graceful shutdown
/// ```
public final class Informer<C: Clock>: Service, Sendable where C.Duration == Duration {
    /// What to watch and how.
    public struct Configuration: Sendable {
        /// The resource to list and watch.
        public var resource: GroupVersionResource
        /// One namespace, or nil for all namespaces (and cluster-scoped resources).
        public var namespace: String?
        public var labelSelector: LabelSelector?
        public var fieldSelector: FieldSelector?
        /// How often every cached object is handed over again as an update (nil: never).
        public var resyncInterval: Duration?
        /// Server-side duration of each watch request (the watch resumes from the last resourceVersion).
        public var watchTimeoutSeconds: Int
        /// Wait before listing again after a failed list or watch (not after 410 Gone, which relists at once).
        public var retryDelay: Duration

        public init(
            resource: GroupVersionResource,
            namespace: String? = nil,
            labelSelector: LabelSelector? = nil,
            fieldSelector: FieldSelector? = nil,
            resyncInterval: Duration? = nil,
            watchTimeoutSeconds: Int = 600,
            retryDelay: Duration = .seconds(1)
        ) {
            self.resource = resource
            self.namespace = namespace
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
            self.resyncInterval = resyncInterval
            self.watchTimeoutSeconds = watchTimeoutSeconds
            self.retryDelay = retryDelay
        }
    }

    private struct State {
        var handlers: [Int: @Sendable (InformerEvent) -> Void] = [:]
        var nextID = 0
        var synced = false
        var syncWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var lists = 0
    }

    /// The objects seen so far.
    public let cache: InformerCache
    public let configuration: Configuration
    let client: KubeClient
    let clock: C
    let logger: Logger
    private let state = Mutex(State())

    /// Creates an informer; nothing happens before ``run()``.
    ///
    /// - Parameters:
    ///   - indexers: index functions of the cache, by index name (see ``InformerCache``).
    ///   - clock: the time source of resyncs and retry delays.
    public init(
        client: KubeClient,
        configuration: Configuration,
        indexers: [String: InformerCache.IndexFunction] = [:],
        clock: C,
        logger: Logger
    ) {
        self.client = client
        self.configuration = configuration
        self.cache = InformerCache(indexers: indexers)
        self.clock = clock
        var logger = logger
        logger[metadataKey: "k8s.gvr"] = "\(configuration.resource)"
        self.logger = logger
    }

    // MARK: Handlers

    /// Calls `handler` with every change, on the informer's task, in order. Keep it short (queue a key).
    public func addHandler(_ handler: @escaping @Sendable (InformerEvent) -> Void) {
        state.withLock { s in
            s.nextID += 1
            s.handlers[s.nextID] = handler
        }
    }

    /// Every change from now on, buffered without limit, until the consumer stops iterating.
    public func changes() -> AsyncStream<InformerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: InformerEvent.self)
        let id = state.withLock { s in
            s.nextID += 1
            s.handlers[s.nextID] = { continuation.yield($0) }
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.handlers.removeValue(forKey: id) }
        }
        return stream
    }

    func deliver(_ events: [InformerEvent]) {
        guard !events.isEmpty else { return }
        let handlers = state.withLock { s in s.handlers.sorted { $0.key < $1.key }.map(\.value) }
        for event in events {
            for handler in handlers { handler(event) }
        }
    }

    // MARK: Sync

    /// Whether the first list is in the cache (after which every later change is seen).
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// How many times the informer listed (the first list, and each relist after 410 Gone or an error).
    public var listCount: Int { state.withLock { $0.lists } }

    /// Returns once ``hasSynced`` is true.
    ///
    /// - Throws: `CancellationError` when the task is cancelled first.
    public func waitUntilSynced() async throws {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // nil: waiting; true: synced; false: cancelled.
                let resume: Bool? = state.withLock { s in
                    if s.synced { return true }
                    if Task.isCancelled { return false }
                    s.syncWaiters[id] = continuation
                    return nil
                }
                switch resume {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    private func markListed() {
        let waiters = state.withLock { s in
            s.lists += 1
            s.synced = true
            defer { s.syncWaiters = [:] }
            return Array(s.syncWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Running

    /// Lists, watches and resyncs until cancelled or a graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.runUntilCancelled() }
    }

    /// Lists, watches and resyncs until the task is cancelled.
    public func runUntilCancelled() async {
        await withDiscardingTaskGroup { group in
            if let interval = configuration.resyncInterval, interval > .zero {
                group.addTask { await self.resync(every: interval) }
            }
            group.addTask { await self.listAndWatch() }
        }
    }

    private func listAndWatch() async {
        var options = WatchOptions(
            labelSelector: configuration.labelSelector,
            fieldSelector: configuration.fieldSelector,
            timeoutSeconds: configuration.watchTimeoutSeconds,
            relistOnExpired: false
        )
        let resource = configuration.resource
        let namespace = configuration.namespace
        while !Task.isCancelled {
            do {
                options.resourceVersion = nil
                let list = try await client.listForWatch(resource, namespace: namespace, options: options)
                deliver(cache.replace(with: list.events.filter { $0.type == .added }.map(\.object)))
                markListed()
                options.resourceVersion = list.resourceVersion
                for try await event in client.watch(resource, namespace: namespace, options: options) {
                    apply(event)
                }
            } catch let error as KubeError where error.code == .gone {
                logger.debug("watch expired, listing again", metadata: ["error": "\(error)"])
            } catch {
                if Task.isCancelled { return }
                logger.debug("list or watch failed, listing again", metadata: ["error": "\(error)"])
                try? await clock.sleep(until: clock.now.advanced(by: configuration.retryDelay), tolerance: nil)
            }
        }
    }

    private func apply(_ event: WatchEvent) {
        switch event.type {
        case .added, .modified:
            if let change = cache.store(event.object) { deliver([change]) }
        case .deleted:
            guard let key = NamespacedName(event.object), cache.remove(key) != nil else { return }
            deliver([.deleted(event.object)])
        case .bookmark, .restarted:
            break
        }
    }

    private func resync(every interval: Duration) async {
        var next = clock.now.advanced(by: interval)
        while !Task.isCancelled {
            do { try await clock.sleep(until: next, tolerance: nil) } catch { return }
            next = next.advanced(by: interval)
            guard hasSynced else { continue }
            deliver(cache.list().map { .updated(old: $0, new: $0) })
        }
    }
}

extension Informer where C == ContinuousClock {
    /// An informer on the continuous clock.
    public convenience init(
        client: KubeClient,
        configuration: Configuration,
        indexers: [String: InformerCache.IndexFunction] = [:],
        logger: Logger
    ) {
        self.init(
            client: client,
            configuration: configuration,
            indexers: indexers,
            clock: ContinuousClock(),
            logger: logger
        )
    }
}
