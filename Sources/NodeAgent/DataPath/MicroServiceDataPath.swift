import Foundation
package import Kubernetes
package import Logging
import VeleroAPI

/// The data path of Velero 1.18: the bytes move in the load's hosting pod (`lifeboat pod-volume backup|restore`,
/// Velero's `velero pod-volume …` micro-service), and the node agent watches it
/// (`pkg/datapath/micro_service_watcher.go`): the load's `Data-Path-*` Events (core/v1, involved object the load)
/// bring progress, and the hosting pod — named after the load in the install namespace — brings the outcome
/// in its container's termination message once it is `Succeeded` or `Failed` (``MicroServiceWatch`` decides).
///
/// The micro-service handles the load's `spec.cancel` itself; a canceled run ends with Velero's
/// `data path is canceled` and this throws ``NodeAgentError/Code/dataPathCanceled``. After a node-agent restart
/// a still-running pod is watched again; a pod that is gone fails the load. The node agent deletes the hosting
/// pod when the load ends (``NodeAgentController`` clean-up).
///
/// ```swift
/// let dataPath = MicroServiceDataPath(client: client, configuration: .init(namespace: "velero"), logger: logger)
/// let controller = NodeAgentController(…, dataPath: dataPath, …)
/// ```
package struct MicroServiceDataPath: DataPath {
    /// Settings of the watch.
    package struct Configuration: Sendable {
        /// The install namespace, where loads, their Events and their hosting pods live.
        package var namespace: String
        /// How long a finished pod's `Data-Path-Started` / `Data-Path-Stopped` events are waited for
        /// (Velero's `eventWaitTimeout`, 1 min).
        package var eventWaitTimeout: Duration
        /// Whether the finished pod's log is copied into the node agent's log (Velero's `redirectDataMoverLogs`).
        package var collectLogs: Bool
        /// How long the micro-service has to stop by itself after the load's cancel was requested
        /// (``DataPath/cancelGrace``); the node agent then stops watching and deletes the pod.
        package var cancelGrace: Duration

        package init(
            namespace: String,
            eventWaitTimeout: Duration = MicroServiceWatch.eventWaitTimeout,
            collectLogs: Bool = true,
            cancelGrace: Duration = .seconds(30)
        ) {
            self.namespace = namespace
            self.eventWaitTimeout = eventWaitTimeout
            self.collectLogs = collectLogs
            self.cancelGrace = cancelGrace
        }
    }

    static let events = GroupVersionResource(group: "", version: "v1", resource: "events")

    package let client: KubeClient
    package let configuration: Configuration
    package let logger: Logger

    package var cancelGrace: Duration? { configuration.cancelGrace }

    package init(client: KubeClient, configuration: Configuration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    package func run(
        _ load: LoadObject,
        node: String,
        resumed: Bool,
        progress: @escaping @Sendable (Int64, Int64) -> Void
    ) async throws -> DataPathResult {
        var logger = self.logger
        logger[metadataKey: "load"] = "\(load.kind.rawValue)/\(load.name)"
        logger.info("watching the data path pod", metadata: ["resumed": "\(resumed)"])
        let outcome = try await watch(load, logger: logger, progress: progress)
        switch outcome {
        case .completed(let result): return result
        case .canceled:
            throw NodeAgentError(code: .dataPathCanceled, message: DataPathMessages.canceledMessageSuffix)
        case .failed(let message):
            throw NodeAgentError(code: .dataPathFailed, message: message)
        }
    }

    /// Runs the watches until ``MicroServiceWatch`` decides the outcome.
    private func watch(
        _ load: LoadObject,
        logger: Logger,
        progress: @escaping @Sendable (Int64, Int64) -> Void
    ) async throws -> MicroServiceWatch.Outcome {
        let (inputs, continuation) = AsyncStream.makeStream(of: MicroServiceWatch.Input.self)
        var machine = MicroServiceWatch(kind: load.kind, pod: "\(configuration.namespace)/\(load.name)")
        let timeout = configuration.eventWaitTimeout
        let outcome: MicroServiceWatch.Outcome? = await withTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            group.addTask { await watchEvents(of: load, into: continuation, logger: logger) }
            group.addTask { await watchPod(of: load, into: continuation) }
            for await input in inputs {
                switch machine.handle(input) {
                case .idle: continue
                case .progress(let total, let done): progress(total, done)
                case .waitForEvents:
                    logger.debug("the data path pod ended; waiting for its final events")
                    group.addTask {
                        try? await Task.sleep(for: timeout)
                        continuation.yield(.eventWaitExpired)
                    }
                case .finish(let outcome): return outcome
                }
            }
            return nil
        }
        continuation.finish()
        guard let outcome else { throw CancellationError() }
        log(outcome, machine: machine, logger: logger)
        if configuration.collectLogs { await collectLog(of: load, logger: logger) }
        return outcome
    }

    private func log(_ outcome: MicroServiceWatch.Outcome, machine: MicroServiceWatch, logger: Logger) {
        if !machine.started {
            logger.info("the data path seems not to have started (no Data-Path-Started event)")
        } else if !machine.stopped {
            logger.info("the data path started but its Data-Path-Stopped event was not received")
        }
        logger.info("the data path pod finished", metadata: ["outcome": "\(outcome)"])
    }

    // MARK: - Watches

    /// Feeds the load's Events (listed, then watched) to `continuation` until cancelled. Events of an older
    /// load of the same name (another uid) are skipped.
    private func watchEvents(
        of load: LoadObject,
        into continuation: AsyncStream<MicroServiceWatch.Input>.Continuation,
        logger: Logger
    ) async {
        let selector = FieldSelector([.init(field: "involvedObject.name", operator: .equals, value: load.name)])
        let options = WatchOptions(fieldSelector: selector)
        func feed(_ event: KubeObject) {
            guard Self.concerns(event, load: load) else { return }
            let reason = event["reason"]?.stringValue ?? ""
            let message = event["message"]?.stringValue ?? ""
            logger.debug("data path event", metadata: ["reason": "\(reason)", "message": "\(message)"])
            continuation.yield(.event(reason: reason, message: message))
        }
        do {
            let (listed, version) = try await client.listForWatch(
                Self.events,
                namespace: configuration.namespace,
                options: options
            )
            for event in Self.ordered(listed.filter { $0.type == .added }.map(\.object)) { feed(event) }
            var watchOptions = options
            watchOptions.resourceVersion = version
            for try await event in client.watch(Self.events, namespace: configuration.namespace, options: watchOptions)
            where event.type == .added || event.type == .modified {
                feed(event.object)
            }
        } catch {
            if !Task.isCancelled { continuation.yield(.watchFailed("events: \(error)")) }
        }
    }

    /// Feeds the hosting pod's state (read, then watched) to `continuation` until cancelled.
    private func watchPod(
        of load: LoadObject,
        into continuation: AsyncStream<MicroServiceWatch.Input>.Continuation
    ) async {
        let container = load.uid
        let namespace = configuration.namespace
        do {
            let pod: KubeObject
            do {
                pod = try await client.get(.pods, namespace: namespace, name: load.name)
            } catch let error as KubeError where error.code == .notFound {
                continuation.yield(.pod(.gone))
                return
            }
            continuation.yield(.pod(MicroServiceWatch.podState(pod.value, container: container)))
            let selector = FieldSelector([.init(field: "metadata.name", operator: .equals, value: load.name)])
            let options = WatchOptions(fieldSelector: selector, resourceVersion: pod.resourceVersion)
            for try await event in client.watch(.pods, namespace: namespace, options: options) {
                switch event.type {
                case .added, .modified:
                    guard pod.uid == nil || event.object.uid == pod.uid else { continue }
                    continuation.yield(.pod(MicroServiceWatch.podState(event.object.value, container: container)))
                case .deleted:
                    guard pod.uid == nil || event.object.uid == pod.uid else { continue }
                    continuation.yield(.pod(.gone))
                case .bookmark, .restarted: continue
                }
            }
        } catch {
            if !Task.isCancelled { continuation.yield(.watchFailed("pod \(load.name): \(error)")) }
        }
    }

    /// Whether an Event is about this load: its involved object is the load (namespace, name and — when both
    /// are known — uid).
    static func concerns(_ event: KubeObject, load: LoadObject) -> Bool {
        let involved = event["involvedObject"]
        guard involved?["name"]?.stringValue == load.name else { return false }
        if let namespace = involved?["namespace"]?.stringValue, !namespace.isEmpty, namespace != load.namespace {
            return false
        }
        if let uid = involved?["uid"]?.stringValue, !uid.isEmpty, !load.uid.isEmpty, uid != load.uid { return false }
        return true
    }

    /// Listed Events in the order they were written (resourceVersion, when numeric).
    static func ordered(_ events: [KubeObject]) -> [KubeObject] {
        events.enumerated().sorted { a, b in
            let left = a.element.resourceVersion.flatMap { UInt64($0) } ?? 0
            let right = b.element.resourceVersion.flatMap { UInt64($0) } ?? 0
            return left != right ? left < right : a.offset < b.offset
        }.map(\.element)
    }

    // MARK: - Logs

    /// Copies the finished pod's log into the node agent's log, one entry per line (Velero's
    /// `redirectDataMoverLogs`); a log that cannot be read is only noted.
    private func collectLog(of load: LoadObject, logger: Logger) async {
        do {
            let text = try await client.logText(namespace: configuration.namespace, pod: load.name)
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                logger.info("\(line)", metadata: ["source": "data path pod"])
            }
        } catch {
            logger.debug("the data path pod's log cannot be read", metadata: ["error": "\(error)"])
        }
    }
}
