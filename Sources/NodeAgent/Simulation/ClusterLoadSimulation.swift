import Foundation
package import Kubernetes
package import Logging
import Synchronization
import VeleroAPI

/// Many node agents against one cluster (the sandbox in tests and the benchmark): labels the nodes,
/// creates the storage classes, starts one ``NodeAgentController`` per node (each with its own client, as
/// separate processes would), creates DataUploads whose ``SimulatedDataPath`` takes a known time, and
/// checks the invariants with a ``LoadObserver`` watching the cluster.
///
/// ```swift
/// let report = try await ClusterLoadSimulation(kubeConfig: config, nodes: nodes, configJSON: json, loads: loads).run()
/// #expect(report.violations.isEmpty)
/// ```
package struct ClusterLoadSimulation: Sendable {
    /// One DataUpload to run: the same description as the in-memory model's (its storage class becomes the
    /// source PVC's, `spec.csiSnapshot.storageClass`).
    package typealias Load = LoadSimulation.Load

    /// The outcome.
    package struct Report: Sendable {
        package var observation: LoadObserver.Observation
        /// Each node's concurrency.
        package var capacity: [String: Int]
        package var prepareQueueLength: Int
        /// Data-path runs by load (from the data path itself).
        package var dataPathRuns: [String: Int]
        /// The counters of all node agents together.
        package var statistics: NodeAgentStatistics
        /// From the first load seen to the last one final.
        package var makespan: Duration
        /// Total work ÷ total capacity.
        package var idealMakespan: Duration
        /// Wall time of the whole run (setup included).
        package var wallTime: Duration
        /// How long creating the loads took.
        package var creationTime: Duration
        /// Broken invariants, in words (empty when all held).
        package var violations: [String]
        /// Whether the run hit ``ClusterLoadSimulation/timeout`` before every load was final (then the
        /// makespan is the time until the timeout and loads not final count as violations).
        package var timedOut: Bool
    }

    package var kubeConfig: KubeConfig
    package var clientConfiguration: KubeClient.Configuration
    package var namespace: String
    /// The nodes (existing node names) and the labels to give them.
    package var nodes: [ClusterFacts.Node]
    /// The node-agent configuration (the ConfigMap's JSON document).
    package var configJSON: String
    /// Storage classes to create (provisioned by `provisioner`).
    package var storageClasses: [String]
    package var provisioner: String
    package var loads: [Load]
    /// Applied to every node agent's configuration (node name and namespace are set by the simulation).
    package var controllerConfiguration: NodeAgentController.Configuration
    package var timeout: Duration
    package var logger: Logger

    package init(
        kubeConfig: KubeConfig,
        clientConfiguration: KubeClient.Configuration = .init(qps: 0, maxConnections: 8),
        namespace: String = "velero",
        nodes: [ClusterFacts.Node],
        configJSON: String,
        storageClasses: [String],
        provisioner: String = "sandbox.csi.lifeboat.io",
        loads: [Load],
        controllerConfiguration: NodeAgentController.Configuration = .init(nodeName: ""),
        timeout: Duration = .seconds(60),
        logger: Logger
    ) {
        self.kubeConfig = kubeConfig
        self.clientConfiguration = clientConfiguration
        self.namespace = namespace
        self.nodes = nodes
        self.configJSON = configJSON
        self.storageClasses = storageClasses
        self.provisioner = provisioner
        self.loads = loads
        self.controllerConfiguration = controllerConfiguration
        self.timeout = timeout
        self.logger = logger
    }

    static let nodesResource = GroupVersionResource(group: "", version: "v1", resource: "nodes")
    static let storageClassesResource = GroupVersionResource(
        group: "storage.k8s.io",
        version: "v1",
        resource: "storageclasses"
    )

    /// Runs the simulation to the end (every load final) and checks the invariants.
    package func run() async throws -> Report {
        let started = ContinuousClock.now
        let resolved = try NodeAgentConfig.load(json: configJSON, source: "simulation").config
            .resolve(in: ClusterFacts(nodes: nodes))
        let admin = try KubeClient(config: kubeConfig, configuration: clientConfiguration, logger: logger)
        var clients: [KubeClient] = []
        do {
            try await prepareCluster(admin)
            let runs = Mutex<[String: Int]>([:])
            var controllers: [NodeAgentController] = []
            for node in nodes {
                let client = try KubeClient(config: kubeConfig, configuration: clientConfiguration, logger: logger)
                clients.append(client)
                var configuration = controllerConfiguration
                configuration.nodeName = node.name
                // The simulated DataUploads have no CSI VolumeSnapshot to take over.
                configuration.volumeSnapshotSteps = false
                configuration.namespace = namespace
                configuration.kinds = [.dataUpload]
                let dataPath = SimulatedDataPath(
                    configuration: .init(onRun: { _, name, _, _ in runs.withLock { $0[name, default: 0] += 1 } })
                )
                controllers.append(
                    NodeAgentController(
                        client: client,
                        config: resolved,
                        template: DataMoverPodTemplate(image: "velero/velero:v1.17.0"),
                        nodes: nodes,
                        dataPath: dataPath,
                        configuration: configuration,
                        logger: logger
                    )
                )
            }
            let observer = LoadObserver(client: admin, namespace: namespace)
            let (observation, creationTime) = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await observer.run() }
                for controller in controllers { group.addTask { try await controller.run() } }
                // Node agents run long before a backup creates its loads: wait until every one has its cache,
                // so the makespan measures scheduling, not 50 node agents starting.
                let deadline = ContinuousClock.now + timeout
                while !controllers.allSatisfy(\.isSynced) && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                let creating = ContinuousClock.now
                try await createLoads(admin)
                let creationTime = ContinuousClock.now - creating
                do {
                    try await observer.waitForFinal(loads.count, timeout: timeout)
                } catch let e as NodeAgentError {
                    logger.info("\(e.message)")
                }
                group.cancelAll()
                while let _ = try? await group.next() {}
                return (observer.observation, creationTime)
            }
            let statistics = controllers.reduce(NodeAgentStatistics()) { $0 + $1.statistics }
            await Self.shutDown(clients + [admin])
            return report(
                observation,
                resolved: resolved,
                runs: runs.withLock { $0 },
                statistics: statistics,
                started: started,
                creationTime: creationTime
            )
        } catch {
            await Self.shutDown(clients + [admin])
            throw error
        }
    }

    private static func shutDown(_ clients: [KubeClient]) async {
        await withDiscardingTaskGroup { group in
            for client in clients { group.addTask { try? await client.shutdown() } }
        }
    }

    private func report(
        _ o: LoadObserver.Observation,
        resolved: ResolvedNodeAgentConfig,
        runs: [String: Int],
        statistics: NodeAgentStatistics,
        started: ContinuousClock.Instant,
        creationTime: Duration
    ) -> Report {
        var capacity: [String: Int] = [:]
        for node in nodes { capacity[node.name] = resolved.concurrency(forNodeLabels: node.labels).number }
        var violations: [String] = []
        for (node, seen) in o.maxRunning.sorted(by: { $0.key < $1.key })
        where seen > capacity[node, default: resolved.globalConcurrency] {
            violations.append("node \(node) ran \(seen) loads at once, its number is \(capacity[node, default: 0])")
        }
        if resolved.prepareQueueLength > 0 && o.maxPreparing > resolved.prepareQueueLength {
            violations.append(
                "\(o.maxPreparing) loads were being prepared at once, prepareQueueLength is \(resolved.prepareQueueLength)"
            )
        }
        let labels = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0.labels) })
        for load in loads {
            if let node = o.podNodes[load.name] {
                let storageClass = resolved.backupPVCSettings(forSourceStorageClass: load.storageClass).storageClass
                if let affinity = resolved.nodeAffinity(forStorageClass: storageClass),
                    !affinity.admits(labels[node] ?? [:])
                {
                    violations.append(
                        "the pod of \(load.name) (storage class \(load.storageClass)) ran on \(node), which its affinity does not admit"
                    )
                }
            } else {
                violations.append("no pod of \(load.name) was seen scheduled")
            }
            if o.completions[load.name, default: 0] != 1 {
                violations.append(
                    "\(load.name) completed \(o.completions[load.name, default: 0]) times (phase \(o.phases[load.name]?.rawValue ?? "?"))"
                )
            }
            if runs[load.name, default: 0] != 1 {
                violations.append("the data path of \(load.name) ran \(runs[load.name, default: 0]) times")
            }
            if o.acceptedBy[load.name, default: []].count != 1 {
                violations.append("\(load.name) was accepted by \(o.acceptedBy[load.name, default: []].sorted())")
            }
        }
        let totalWork = loads.reduce(Duration.zero) { $0 + $1.duration }
        let totalCapacity = max(1, capacity.values.reduce(0, +))
        let timedOut = o.finalCount < loads.count
        let end = timedOut ? ContinuousClock.now : o.lastFinal
        let makespan = (o.firstSeen.flatMap { first in end.map { $0 - first } }) ?? .zero
        return Report(
            observation: o,
            capacity: capacity,
            prepareQueueLength: resolved.prepareQueueLength,
            dataPathRuns: runs,
            statistics: statistics,
            makespan: makespan,
            idealMakespan: totalWork / totalCapacity,
            wallTime: ContinuousClock.now - started,
            creationTime: creationTime,
            violations: violations,
            timedOut: timedOut
        )
    }

    /// Namespace, storage classes and node labels.
    private func prepareCluster(_ client: KubeClient) async throws {
        do {
            _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: namespace))
        } catch let e as KubeError where e.code == .alreadyExists {}
        for name in storageClasses {
            var sc = KubeObject(apiVersion: "storage.k8s.io/v1", kind: "StorageClass", name: name)
            sc["provisioner"] = .string(provisioner)
            sc["reclaimPolicy"] = "Delete"
            sc["volumeBindingMode"] = "Immediate"
            do { _ = try await client.create(Self.storageClassesResource, sc) } catch let e as KubeError
                where e.code == .alreadyExists
            {}
        }
        for node in nodes {
            var object = try await client.get(Self.nodesResource, name: node.name)
            var labels = object.labels.filter { $0.key.hasPrefix("kubernetes.io/") }
            for (k, v) in node.labels { labels[k] = v }
            object.labels = labels
            _ = try await client.update(Self.nodesResource, object)
        }
    }

    /// Creates the DataUploads with 8 concurrent writers.
    private func createLoads(_ client: KubeClient) async throws {
        let loads = self.loads
        let namespace = self.namespace
        try await withThrowingDiscardingTaskGroup { group in
            for worker in 0..<8 {
                group.addTask {
                    var index = worker
                    while index < loads.count {
                        _ = try await client.create(
                            LoadKind.dataUpload.gvr,
                            Self.dataUpload(loads[index], namespace: namespace)
                        )
                        index += 8
                    }
                }
            }
        }
    }

    /// A DataUpload as Velero's CSI plugin creates it, with the simulated duration as an annotation.
    package static func dataUpload(_ load: Load, namespace: String) -> KubeObject {
        var du = KubeObject(
            apiVersion: DataUpload.kindInfo.apiVersion,
            kind: DataUpload.kindInfo.kind,
            namespace: namespace,
            name: load.name
        )
        let seconds = Double(load.duration.components.seconds) + Double(load.duration.components.attoseconds) / 1e18
        du.annotations = [SimulatedDataPath.durationAnnotation: String(seconds)]
        du.labels = [VeleroLabels.backupName: "simulation"]
        du["spec"] = [
            "snapshotType": "CSI", "sourceNamespace": "app", "sourcePVC": .string("pvc-\(load.name)"),
            "backupStorageLocation": "default", "datamover": "velero", "operationTimeout": "10m0s",
            "csiSnapshot": [
                "volumeSnapshot": .string(load.name), "storageClass": .string(load.storageClass),
                "snapshotClass": "sandbox-snapclass",
            ],
        ]
        return du
    }
}
