import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import Synchronization
import Testing

@testable import NodeAgent

/// The node-agent controllers against a sandbox: the acceptance race, restart, cancel, deletion and the
/// prepare timeout.
struct NodeAgentControllerTests {
    static let namespace = "velero"

    /// Data-path runs seen, with whether they were resumed.
    final class Runs: Sendable {
        let runs = Mutex<[(name: String, resumed: Bool)]>([])
        var all: [(name: String, resumed: Bool)] { runs.withLock { $0 } }
        var dataPath: SimulatedDataPath {
            SimulatedDataPath(
                configuration: .init(onRun: { _, name, _, resumed in self.runs.withLock { $0.append((name, resumed)) } }
                )
            )
        }
    }

    /// A sandbox with `nodes` nodes, the install namespace, storage class "standard", and an admin client.
    static func withCluster(nodes: Int = 1, _ body: (KubeConfig, KubeClient) async throws -> Void) async throws {
        try await withClusterVolumes(nodes: nodes) { config, client, _ in try await body(config, client) }
    }

    /// ``withCluster(nodes:_:)`` that also gives `body` the sandbox's volumes root (where its kubelet-like
    /// pod directories are: `<root>/nodes/<node>/pods`).
    static func withClusterVolumes(
        nodes: Int = 1,
        _ body: (KubeConfig, KubeClient, URL) async throws -> Void
    ) async throws {
        try await withSandbox(nodes: nodes) { sandbox, client in
            _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: namespace))
            var sc = KubeObject(apiVersion: "storage.k8s.io/v1", kind: "StorageClass", name: "standard")
            sc["provisioner"] = "sandbox.csi.lifeboat.io"
            _ = try await client.create(ClusterLoadSimulation.storageClassesResource, sc)
            try await body(try KubeConfig.parse(yaml: sandbox.kubeconfigYAML), client, sandbox.volumesRoot)
        }
    }

    /// One node's controllers. The fixture DataUploads have no VolumeSnapshot unless a test creates one, so
    /// the snapshot steps are off by default here (``DataUploadSnapshotTests`` turns them on).
    static func controller(
        _ client: KubeClient,
        node: String,
        json: String = "{}",
        dataPath: any DataPath = SimulatedDataPath(),
        prepareTimeout: Duration = .seconds(1800),
        kinds: Set<LoadKind> = [.dataUpload],
        cacheLimitBytes: Int64 = ExposerBuilder.defaultCacheLimitBytes,
        volumeSnapshotSteps: Bool = false,
        resyncInterval: Duration = .seconds(1),
        hostPods: String = "/host_pods",
        template: DataMoverPodTemplate = DataMoverPodTemplate(image: "velero/velero:v1.17.0")
    ) throws -> NodeAgentController {
        let nodes = [ClusterFacts.Node(name: node, labels: ["kubernetes.io/hostname": node])]
        let resolved = try NodeAgentConfig.load(json: json, source: "test").config.resolve(
            in: ClusterFacts(nodes: nodes)
        )
        return NodeAgentController(
            client: client,
            config: resolved,
            template: template,
            nodes: nodes,
            dataPath: dataPath,
            configuration: .init(
                nodeName: node,
                namespace: namespace,
                kinds: kinds,
                prepareTimeout: prepareTimeout,
                requeueDelay: .milliseconds(200),
                resyncInterval: resyncInterval,
                hostPods: hostPods,
                volumeSnapshotSteps: volumeSnapshotSteps,
                cacheLimitBytes: cacheLimitBytes
            ),
            logger: .quiet
        )
    }

    static func createUpload(
        _ client: KubeClient,
        _ name: String,
        seconds: Double,
        storageClass: String = "standard"
    ) async throws {
        _ = try await client.create(
            LoadKind.dataUpload.gvr,
            ClusterLoadSimulation.dataUpload(
                .init(name: name, storageClass: storageClass, duration: .milliseconds(Int64(seconds * 1000))),
                namespace: namespace
            )
        )
    }

    static func upload(_ client: KubeClient, _ name: String) async throws -> LoadObject? {
        try await load(client, .dataUpload, name)
    }

    /// The load `name` of `kind` from the API (nil when it is gone).
    static func load(_ client: KubeClient, _ kind: LoadKind, _ name: String) async throws -> LoadObject? {
        do {
            return LoadObject(
                kind: kind,
                object: try await client.get(kind.gvr, namespace: namespace, name: name).value
            )
        } catch let e as KubeError where e.code == .notFound {
            return nil
        }
    }

    /// Reconciles the load `name` once with `agent` (not running), as read from the API now.
    static func reconcileOnce(
        _ agent: NodeAgentController,
        _ client: KubeClient,
        _ kind: LoadKind,
        _ name: String
    ) async throws {
        let load = try #require(try await Self.load(client, kind, name))
        agent.state.decide { $0.put(load) }
        _ = try await agent.reconcile(LoadKey(kind: kind, name: name))
    }

    static func exists(
        _ client: KubeClient,
        _ resource: GroupVersionResource,
        _ name: String,
        namespace: String? = Self.namespace
    ) async throws -> Bool {
        do {
            _ = try await client.get(resource, namespace: namespace, name: name)
            return true
        } catch let e as KubeError where e.code == .notFound {
            return false
        }
    }

    // MARK: - Tests

    @Test(arguments: ["{}", #"{"loadConcurrency":{"prepareQueueLength":1}}"#])
    func twoAgentsRacingForOneLoadExactlyOneAccepts(json: String) async throws {
        try await Self.withCluster(nodes: 2) { config, admin in
            try await Self.createUpload(admin, "du-race", seconds: 1)
            let load = try #require(try await Self.upload(admin, "du-race"))
            try await withKubeClient(config: config, configuration: .test, logger: .quiet) { c1 in
                try await withKubeClient(config: config, configuration: .test, logger: .quiet) { c2 in
                    let a = try Self.controller(c1, node: "sandbox-node-1", json: json)
                    let b = try Self.controller(c2, node: "sandbox-node-2", json: json)
                    let key = LoadKey(kind: .dataUpload, name: "du-race")
                    // Both node agents saw the same New load (same resourceVersion) and try at once.
                    a.state.decide { $0.put(load) }
                    b.state.decide { $0.put(load) }
                    async let ra = a.reconcile(key)
                    async let rb = b.reconcile(key)
                    _ = try await (ra, rb)
                    #expect(a.statistics.accepted + b.statistics.accepted == 1)
                    #expect(a.statistics.acceptLost + b.statistics.acceptLost == 1)
                    let after = try #require(try await Self.upload(admin, "du-race"))
                    #expect(after.phase == .accepted)
                    let winner = a.statistics.accepted == 1 ? "sandbox-node-1" : "sandbox-node-2"
                    #expect(after.acceptedByNode == winner)
                    #expect(after.isExposing)
                    #expect(after.hasFinalizer)
                    #expect(try await Self.exists(admin, .pods, "du-race"))
                }
            }
        }
    }

    @Test func restartResumesAnInProgressLoad() async throws {
        try await Self.withCluster { _, admin in
            try await Self.createUpload(admin, "du-resume", seconds: 1.5)
            let first = Runs()
            try await Self.running(try Self.controller(admin, node: "sandbox-node-1", dataPath: first.dataPath)) {
                try await waitUntil("du-resume InProgress and its data path started") {
                    try await Self.upload(admin, "du-resume")?.phase == .inProgress && first.all.count == 1
                }
            }
            // The node agent stopped mid-way: the load stays InProgress on its node.
            let stopped = try #require(try await Self.upload(admin, "du-resume"))
            #expect(stopped.phase == .inProgress)
            #expect(stopped.node == "sandbox-node-1")
            #expect(first.all.map(\.resumed) == [false])

            let second = Runs()
            let agent = try Self.controller(admin, node: "sandbox-node-1", dataPath: second.dataPath)
            try await Self.running(agent) {
                try await waitUntil("du-resume Completed") {
                    try await Self.upload(admin, "du-resume")?.phase == .completed
                }
                try await Self.waitForCleanUp(admin, "du-resume")
            }
            #expect(agent.statistics.dataPathsResumed == 1)
            #expect(second.all.map(\.resumed) == [true])
            let done = try #require(try await Self.upload(admin, "du-resume"))
            #expect(done.object["status"]?["completionTimestamp"]?.stringValue != nil)
            #expect(done.object["status"]?["startTimestamp"] == stopped.object["status"]?["startTimestamp"])
        }
    }

    /// Runs `agent` (and `observer`) in the background while `body` runs.
    static func running(
        _ agent: NodeAgentController,
        observer: LoadObserver? = nil,
        _ body: () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let observer { group.addTask { try await observer.run() } }
            group.addTask { try await agent.run() }
            try await body()
            group.cancelAll()
        }
    }

    /// Waits until the load is final without finalizer and its pod, PVC and cache PVC are gone.
    static func waitForCleanUp(_ client: KubeClient, _ name: String, kind: LoadKind = .dataUpload) async throws {
        try await waitUntil("\(name) released and cleaned up") {
            let load = try await load(client, kind, name)
            let pod = try await exists(client, .pods, name)
            let claim = try await exists(client, NodeAgentController.persistentVolumeClaims, name)
            let cache = try await exists(
                client,
                NodeAgentController.persistentVolumeClaims,
                ExposerBuilder.cacheClaimName(of: name)
            )
            return (load.map { $0.phase.isFinal && !$0.hasFinalizer } ?? true) && !pod && !claim && !cache
        }
    }

    @Test func cancelMovesAnInProgressLoadThroughCancelingToCanceled() async throws {
        try await Self.withCluster { _, admin in
            let agent = try Self.controller(admin, node: "sandbox-node-1")
            let observer = LoadObserver(client: admin, namespace: Self.namespace)
            try await Self.running(agent, observer: observer) {
                try await Self.createUpload(admin, "du-cancel", seconds: 60)
                try await waitUntil("du-cancel InProgress") {
                    try await Self.upload(admin, "du-cancel")?.phase == .inProgress
                }
                var load = try #require(try await Self.upload(admin, "du-cancel"))
                load.object[path: ["spec", "cancel"]] = true
                _ = try await admin.update(
                    LoadKind.dataUpload.gvr,
                    namespace: Self.namespace,
                    try #require(KubeObject(load.object))
                )
                try await waitUntil("du-cancel Canceled") { observer.observation.phases["du-cancel"] == .canceled }
                try await Self.waitForCleanUp(admin, "du-cancel")
            }
            #expect(
                observer.observation.history["du-cancel"] == [
                    .new, .accepted, .prepared, .inProgress, .canceling, .canceled,
                ]
            )
            let load = try #require(try await Self.upload(admin, "du-cancel"))
            #expect(load.isExposing == false)
            #expect(load.object["status"]?["completionTimestamp"]?.stringValue != nil)
        }
    }

    @Test func deletingAnInProgressLoadCancelsItAndReleasesIt() async throws {
        try await Self.withCluster { _, admin in
            let agent = try Self.controller(admin, node: "sandbox-node-1")
            let observer = LoadObserver(client: admin, namespace: Self.namespace)
            try await Self.running(agent, observer: observer) {
                try await Self.createUpload(admin, "du-delete", seconds: 60)
                try await waitUntil("du-delete InProgress") {
                    try await Self.upload(admin, "du-delete")?.phase == .inProgress
                }
                try await admin.delete(LoadKind.dataUpload.gvr, namespace: Self.namespace, name: "du-delete")
                try await waitUntil("du-delete gone") { try await Self.upload(admin, "du-delete") == nil }
                try await Self.waitForCleanUp(admin, "du-delete")
            }
            #expect(observer.observation.history["du-delete"]?.suffix(3) == [.inProgress, .canceling, .canceled])
            #expect(observer.observation.completions["du-delete"] == nil)
        }
    }

    @Test func aLoadThatCannotBePreparedTimesOutWithVelerosMessage() async throws {
        // "standard" volumes may only go to nodes labelled disk=nvme, and there are none: the pod stays Pending.
        let json = #"{"loadAffinity":[{"nodeSelector":{"matchLabels":{"disk":"nvme"}},"storageClass":"standard"}]}"#
        try await Self.withCluster { _, admin in
            let agent = try Self.controller(admin, node: "sandbox-node-1", json: json, prepareTimeout: .seconds(1))
            try await Self.running(agent) {
                try await Self.createUpload(admin, "du-stuck", seconds: 1)
                try await waitUntil("du-stuck Failed") { try await Self.upload(admin, "du-stuck")?.phase == .failed }
                try await Self.waitForCleanUp(admin, "du-stuck")
            }
            let load = try #require(try await Self.upload(admin, "du-stuck"))
            #expect(load.message == "timeout on preparing data upload")
            #expect(load.isExposing == false)
        }
    }
}
