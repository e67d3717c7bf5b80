import ArgumentParser
import Foundation
import Kubernetes
import Logging
import NodeAgent
import ServiceLifecycle
import UnixSignals

/// `lifeboat node-agent server`: this node's DataUpload, DataDownload, PodVolumeBackup and PodVolumeRestore
/// controllers, until SIGTERM or SIGINT.
struct NodeAgentServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the node agent of one node (DataUpload, DataDownload, PodVolumeBackup, PodVolumeRestore).",
        discussion: """
            Reads the node-agent ConfigMap once at start (--node-agent-configmap NAME, else a ConfigMap named \
            node-agent-config if one exists) in the install namespace (-n), resolves this node's concurrency from \
            its labels, and runs the controllers until SIGTERM or SIGINT (graceful shutdown: in-progress loads stay \
            InProgress and are resumed at the next start). A ConfigMap that cannot be read or parsed stops the node \
            agent with one error. Each InProgress load's bytes move in its hosting pod (`lifeboat pod-volume …`); \
            the node agent follows the pod's Data-Path-* events and reads the result from its termination message. \
            With --simulate-data-path (or --simulated-duration) nothing moves: a load runs for the seconds in its \
            annotation lifeboat.io/simulated-duration-seconds, else --simulated-duration (the scheduling \
            benchmark). While it runs, the node agent holds the Lease lifeboat-node-agent-<node> in the install \
            namespace (renewed every 10 s, deleted at shutdown).
            """
    )

    @OptionGroup var globals: GlobalOptions

    @Option(name: .customLong("node-name"), help: "This node's name (default: env NODE_NAME).")
    var nodeName: String?

    @Option(name: .customLong("node-agent-configmap"), help: "The node-agent ConfigMap in the install namespace.")
    var configMap: String?

    @Option(
        name: .customLong("host-pods"),
        help: "Where this node agent sees the kubelet pods directory; pod volumes are searched there."
    )
    var hostPods: String = "/host_pods"

    @Option(
        name: .customLong("node-pods"),
        help: """
            Where the node has the pods directory seen at --host-pods (what hosting pods mount; default: the \
            node-agent DaemonSet's host-pods hostPath, else --host-pods). For a node agent run outside its node, \
            e.g. on a sandbox node: /var/lib/kubelet/pods.
            """
    )
    var nodePods: String?

    @Option(
        name: .customLong("backup-repository-configmap"),
        help:
            "Velero's backup-repository ConfigMap in the install namespace (its kopia cacheLimitMB sizes restore cache PVCs)."
    )
    var backupRepositoryConfigMap: String?

    @Option(
        name: .customLong("resource-timeout"),
        help:
            "How long file-system backup and restore pods wait for resources (Go duration; passed to the hosting pods)."
    )
    var resourceTimeout: String = "10m"

    @Option(
        name: .customLong("data-mover-prepare-timeout"),
        help: "How long a load may stay Accepted before it fails (Go duration, e.g. 30m, 1h, 90s)."
    )
    var prepareTimeout: String = "30m"

    @Flag(
        name: .customLong("capacity-aware-placement"),
        help: """
            Accept a data-movement load only while this node has a free data-path slot, and pin its pod here \
            (Lifeboat; Velero leaves placement to the scheduler).
            """
    )
    var capacityAwarePlacement = false

    @Option(
        name: .customLong("accept-stagger"),
        help: "Per-rank delay of the acceptance race (Go duration; 0 = every node agent tries at once, as Velero)."
    )
    var acceptStagger: String = "0s"

    @Flag(
        name: .customLong("simulate-data-path"),
        help: "Move no data: each load only takes its simulated duration (scheduling benchmarks and tests)."
    )
    var simulateDataPath = false

    @Option(
        name: .customLong("simulated-duration"),
        help: "Duration of the simulated data path (Go duration, default 1s; implies --simulate-data-path)."
    )
    var simulatedDuration: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (stderr).")
    var logLevel: String = "info"
    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line, logrus's keys).")
    var logFormat: LogFormat = .text

    var node: String? {
        if let nodeName, !nodeName.isEmpty { return nodeName }
        return ProcessInfo.processInfo.environment["NODE_NAME"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func validate() throws {
        guard node != nil else { throw ValidationError("give --node-name (or set NODE_NAME)") }
        guard GoDuration.parse(prepareTimeout) != nil else {
            throw ValidationError(
                "--data-mover-prepare-timeout \"\(prepareTimeout)\" is not a duration such as 30m or 1h30m"
            )
        }
        guard let timeout = GoDuration.parse(resourceTimeout), timeout > .zero else {
            throw ValidationError("--resource-timeout \"\(resourceTimeout)\" is not a positive duration such as 10m")
        }
        guard GoDuration.parse(acceptStagger) != nil else {
            throw ValidationError("--accept-stagger \"\(acceptStagger)\" is not a duration such as 20ms")
        }
        if let simulatedDuration, GoDuration.parse(simulatedDuration) == nil {
            throw ValidationError("--simulated-duration \"\(simulatedDuration)\" is not a duration such as 2s or 1m")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel) is unknown")
        }
    }

    func run() async throws {
        let logger = logFormat.logger(label: "lifeboat.node-agent", level: Logger.Level(rawValue: logLevel) ?? .info)
        let node = self.node ?? ""
        let namespace = globals.installNamespace
        let configuration = NodeAgentController.Configuration(
            nodeName: node,
            namespace: namespace,
            prepareTimeout: GoDuration.parse(prepareTimeout) ?? .seconds(1800),
            hostPods: hostPods,
            nodePods: nodePods,
            capacityAwarePlacement: capacityAwarePlacement,
            acceptStagger: GoDuration.parse(acceptStagger) ?? .zero,
            resourceTimeout: GoDuration.format(GoDuration.parse(resourceTimeout) ?? .seconds(600))
        )
        let simulation = simulationConfiguration
        let configMap = self.configMap
        let repositoryConfigMap = backupRepositoryConfigMap
        let log = logger
        // Errors reach ArgumentParser, which prints `Error: <description>` and exits 1 (as for every command).
        try await globals.withClient { client in
            var configuration = configuration
            if let repositoryConfigMap {
                configuration.cacheLimitBytes = await Self.cacheLimit(
                    client: client,
                    namespace: namespace,
                    configMap: repositoryConfigMap,
                    logger: log
                )
            }
            let dataPath: any DataPath
            if let simulation {
                dataPath = SimulatedDataPath(configuration: simulation)
            } else {
                dataPath = MicroServiceDataPath(client: client, configuration: .init(namespace: namespace), logger: log)
            }
            let controller = try await Self.controller(
                client: client,
                configMap: configMap,
                configuration: configuration,
                dataPath: dataPath,
                logger: log
            )
            let lease = NodeAgentLease(
                client: client,
                configuration: .init(nodeName: node, namespace: namespace),
                clock: ContinuousClock(),
                logger: log
            )
            let group = ServiceGroup(
                configuration: .init(
                    services: [controller, lease],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: log
                )
            )
            try await group.run()
        }
    }

    /// The simulated data path's settings, nil when the data path is real (neither --simulate-data-path nor
    /// --simulated-duration).
    var simulationConfiguration: SimulatedDataPath.Configuration? {
        guard simulateDataPath || simulatedDuration != nil else { return nil }
        let duration = simulatedDuration.flatMap(GoDuration.parse) ?? .seconds(1)
        return SimulatedDataPath.Configuration(defaultDuration: duration)
    }

    /// Reads the configuration and the cluster facts once, like Velero's node-agent server at start.
    static func controller(
        client: KubeClient,
        configMap: String?,
        configuration: NodeAgentController.Configuration,
        dataPath: any DataPath,
        logger: Logger
    ) async throws -> NodeAgentController {
        let namespace = configuration.namespace
        let loaded = try await NodeAgentConfig.load(client: client, namespace: namespace, configMapName: configMap)
        if loaded == nil { logger.info("no node-agent ConfigMap, using the defaults") }
        for warning in loaded?.warnings ?? [] { logger.warning("\(warning)") }
        let nodes = try await client.list(NodeAgentConfigExplainCommand.nodesResource).items.map { item in
            ClusterFacts.Node(name: item.name ?? "", labels: item.labels)
        }
        if !nodes.contains(where: { $0.name == configuration.nodeName }) {
            logger.warning("node \(configuration.nodeName) not found, using the global concurrency")
        }
        var facts = ClusterFacts(nodes: nodes)
        facts.storageClasses = (try? await client.list(NodeAgentConfigExplainCommand.storageClassesResource))
            .map { NodeAgentConfigExplainCommand.storageClasses(from: $0.items.map(\.value)) }
        facts.priorityClasses = (try? await client.list(NodeAgentConfigExplainCommand.priorityClassesResource))?
            .items.compactMap(\.name)
        let resolved = (loaded?.config ?? NodeAgentConfig()).resolve(in: facts)
        for warning in resolved.warnings { logger.warning("\(warning)") }
        return NodeAgentController(
            client: client,
            config: resolved,
            template: try await template(client: client, namespace: namespace),
            nodes: nodes,
            dataPath: dataPath,
            configuration: configuration,
            logger: logger
        )
    }

    /// The repository cache limit from the backup-repository ConfigMap, read once at start; the default
    /// (5 GiB) with a warning when the ConfigMap cannot be read or its value is unusable (as Velero).
    static func cacheLimit(client: KubeClient, namespace: String, configMap: String, logger: Logger) async -> Int64 {
        do {
            let object = try await client.get(.configMaps, namespace: namespace, name: configMap)
            let (bytes, warning) = BackupRepositoryConfig.cacheLimitBytes(configMap: object.value, name: configMap)
            if let warning { logger.warning("\(warning)") }
            return bytes
        } catch {
            logger.warning(
                "Failed to get backup repository configs from ConfigMap \(configMap): \(error); using the default cache limit"
            )
            return ExposerBuilder.defaultCacheLimitBytes
        }
    }

    /// What data-mover pods inherit from the `node-agent` DaemonSet; without one, Lifeboat's image and the
    /// environment Velero's DaemonSet gives (``DataMoverPodTemplate/standalone(image:)``).
    static func template(client: KubeClient, namespace: String) async throws -> DataMoverPodTemplate {
        let daemonSets = GroupVersionResource(group: "apps", version: "v1", resource: "daemonsets")
        guard let ds = try? await client.get(daemonSets, namespace: namespace, name: "node-agent"),
            let template = DataMoverPodTemplate(nodeAgentDaemonSet: ds.value)
        else { return DataMoverPodTemplate.standalone(image: "ghcr.io/lifeboat/lifeboat:latest") }
        return template
    }
}
