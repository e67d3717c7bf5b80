import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

@testable import NodeAgent

/// `lifeboat node-agent server` as a real child process against an in-process sandbox: it completes loads,
/// stops gracefully on SIGTERM, refuses a broken ConfigMap with one error, and a restart resumes a load.
struct NodeAgentServerProcessTests {
    typealias Cluster = NodeAgentControllerTests
    static let node = "sandbox-node-1"
    static let deadline = Duration.seconds(60)

    /// A sandbox prepared for the server, and where its kubeconfig and the process logs go.
    struct Environment {
        let directory: URL
        let kubeconfig: String
        let admin: KubeClient

        /// `node-agent server` for ``node`` against the sandbox, in the install namespace.
        func serverArguments(_ extra: [String]) -> [String] {
            [
                "node-agent", "server", "--node-name", NodeAgentServerProcessTests.node, "--kubeconfig", kubeconfig,
                "-n", Cluster.namespace, "--simulate-data-path",
            ] + extra
        }

        func log(_ name: String) -> String { directory.appendingPathComponent("\(name).log").path }
    }

    /// A sandbox with `nodes` nodes, the namespace, storage class "standard" and the ConfigMap `configMap`
    /// (name, data value), with its kubeconfig in a temporary folder that is removed afterwards.
    static func withEnvironment(
        nodes: Int = 2,
        configMap: (name: String, json: String)?,
        _ body: (Environment) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory(prefix: "node-agent-server") { directory in
            try await withSandbox(nodes: nodes) { sandbox, admin in
                let kubeconfig = directory.appendingPathComponent("kubeconfig").path
                try sandbox.writeKubeconfig(to: kubeconfig)
                _ = try await admin.create(
                    .namespaces,
                    KubeObject(apiVersion: "v1", kind: "Namespace", name: Cluster.namespace)
                )
                var sc = KubeObject(apiVersion: "storage.k8s.io/v1", kind: "StorageClass", name: "standard")
                sc["provisioner"] = "sandbox.csi.lifeboat.io"
                _ = try await admin.create(ClusterLoadSimulation.storageClassesResource, sc)
                if let configMap {
                    var cm = KubeObject(
                        apiVersion: "v1",
                        kind: "ConfigMap",
                        namespace: Cluster.namespace,
                        name: configMap.name
                    )
                    cm["data"] = ["config.json": .string(configMap.json)]
                    _ = try await admin.create(.configMaps, cm)
                }
                try await body(Environment(directory: directory, kubeconfig: kubeconfig, admin: admin))
            }
        }
    }

    /// Creates a DataUpload and its ready VolumeSnapshot; without `seconds` it has no duration annotation (the server's --simulated-duration applies).
    static func createUpload(_ client: KubeClient, _ name: String, seconds: Double? = nil) async throws {
        var du = ClusterLoadSimulation.dataUpload(
            .init(name: name, storageClass: "standard", duration: .milliseconds(Int64((seconds ?? 0) * 1000))),
            namespace: Cluster.namespace
        )
        if seconds == nil { du.annotations = [:] }
        _ = try await client.create(LoadKind.dataUpload.gvr, du)
        // The server takes the DataUpload's CSI snapshot over, as Velero's node agent does: make it ready.
        try await SnapshotFixtures.createReadySnapshot(client, namespace: "app", name: name)
    }

    /// ``waitUntil(_:timeout:interval:isolation:_:)`` that fails early (with the server's output) when `server`
    /// ends, and shows the server's output when the wait times out.
    static func waitUntil(
        _ what: String,
        server: LifeboatProcess.Child,
        _ condition: () async throws -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        do {
            try await KubeSandboxTesting.waitUntil(what, timeout: deadline, interval: .milliseconds(100)) {
                if try await condition() { return true }
                guard server.isRunning else {
                    Issue.record(
                        "the server ended while waiting for \(what):\n\(server.output)",
                        sourceLocation: sourceLocation
                    )
                    throw CancellationError()
                }
                return false
            }
        } catch let timeout as TestTimeoutError {
            Issue.record("\(timeout); server output:\n\(server.output)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
    }

    /// Whether the load is final without finalizer and its data-mover pod and PVC are gone.
    static func isReleased(_ client: KubeClient, _ name: String) async throws -> Bool {
        let load = try await Cluster.upload(client, name)
        guard load.map({ $0.phase.isFinal && !$0.hasFinalizer }) ?? true else { return false }
        let pod = try await Cluster.exists(client, .pods, name)
        let claim = try await Cluster.exists(client, NodeAgentController.persistentVolumeClaims, name)
        return !pod && !claim
    }

    /// Sends SIGTERM and expects a graceful exit (status 0, the controllers' last log line) within the deadline.
    static func expectGracefulStop(
        _ server: LifeboatProcess.Child,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        server.terminate()
        let status = try await server.wait(timeout: deadline)
        #expect(status == 0, "exit status after SIGTERM; output:\n\(server.output)", sourceLocation: sourceLocation)
        #expect(
            server.output.contains("node agent controllers stopped"),
            "\(server.output)",
            sourceLocation: sourceLocation
        )
    }

    /// Runs `observer` in the background while `body` runs.
    static func observing(_ observer: LoadObserver, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await observer.run() }
            try await body()
            group.cancelAll()
        }
    }

    /// Whether `history` ends with InProgress → Completed and is otherwise the phases before them in order
    /// (the observer may start after a load was created, so it can miss the first phases, never later ones).
    static func wentThroughTheHappyPath(_ history: [LoadPhase]?) -> Bool {
        let path: [LoadPhase] = [.new, .accepted, .prepared, .inProgress, .completed]
        guard let history, history.count >= 2 else { return false }
        return Array(path.suffix(history.count)) == history
    }

    // MARK: - Tests

    @Test func serverCompletesDataUploadsAndStopsGracefullyOnSIGTERM() async throws {
        let lifeboat = try LifeboatProcess.require()
        let json = #"{"loadConcurrency":{"globalConfig":1}}"#
        try await Self.withEnvironment(configMap: (NodeAgentConfig.legacyConfigMapName, json)) { env in
            let observer = LoadObserver(client: env.admin, namespace: Cluster.namespace)
            let names = ["du-annotated", "du-default"]
            try await Self.observing(observer) {
                // The sandbox spreads pods over its nodes, and a load whose data-mover pod lands on a node
                // without a node agent waits there (as in Velero): capacity-aware placement pins the pods here.
                let args = env.serverArguments(["--simulated-duration", "300ms", "--capacity-aware-placement"])
                try await LifeboatProcess.withStarted(lifeboat, args, outputPath: env.log("server")) { server in
                    try await Self.createUpload(env.admin, names[0], seconds: 0.5)
                    try await Self.createUpload(env.admin, names[1])
                    for name in names {
                        try await Self.waitUntil("\(name) Completed and cleaned up", server: server) {
                            guard try await Cluster.upload(env.admin, name)?.phase == .completed else { return false }
                            return try await Self.isReleased(env.admin, name)
                        }
                        let load = try #require(try await Cluster.upload(env.admin, name))
                        #expect(load.node == Self.node)
                        #expect(load.acceptedByNode == Self.node)
                        #expect(!load.hasFinalizer)
                        #expect(load.object["status"]?["completionTimestamp"]?.stringValue != nil)
                    }
                    // The server found the ConfigMap (it logs this line only without one).
                    #expect(!server.output.contains("no node-agent ConfigMap"), "\(server.output)")
                    try await Self.expectGracefulStop(server)
                }
            }
            let seen = observer.observation
            #expect((seen.maxRunning[Self.node] ?? 0) <= 1, "globalConfig 1: at most one data path at a time")
            for name in names {
                #expect(Self.wentThroughTheHappyPath(seen.history[name]), "\(name): \(seen.history[name] ?? [])")
                #expect(seen.completions[name] == 1)
            }
        }
    }

    @Test func aConfigMapThatIsNotJSONStopsTheServerWithOneError() async throws {
        let lifeboat = try LifeboatProcess.require()
        try await Self.withEnvironment(nodes: 1, configMap: ("broken-config", "{not json")) { env in
            let args = env.serverArguments(["--node-agent-configmap", "broken-config"])
            try await LifeboatProcess.withStarted(lifeboat, args, outputPath: env.log("server")) { server in
                let status = try await server.wait(timeout: Self.deadline)
                let output = server.output
                #expect(status == 1, "\(output)")
                let errors = output.split(separator: "\n").filter { $0.hasPrefix("Error:") }
                #expect(errors.count == 1, "\(output)")
                #expect(errors.first?.contains("error to unmarshall configs from broken-config") == true, "\(output)")
                for crash in ["Fatal error", "Stack dump", "Backtrace", "Current stack trace", "Segmentation fault"] {
                    #expect(!output.contains(crash), "\(output)")
                }
                #expect(!output.contains("node agent controllers starting"), "\(output)")
            }
        }
    }

    /// `--backup-repository-configmap`: the repository cache limit sizes a restore's cache PVC (kopia
    /// `cacheLimitMB` 2048 → 2 GiB × 1.2, rounded up to 3 GiB); the DataDownload then completes and its volume
    /// goes to the target PVC.
    @Test func theBackupRepositoryConfigMapSizesTheCacheVolume() async throws {
        let lifeboat = try LifeboatProcess.require()
        let json = #"{"cachePVC":{"storageClass":"standard","residentThresholdInMB":1}}"#
        try await Self.withEnvironment(nodes: 1, configMap: ("node-agent-settings", json)) { env in
            var repository = KubeObject(
                apiVersion: "v1",
                kind: "ConfigMap",
                namespace: Cluster.namespace,
                name: "repo-config"
            )
            repository["data"] = ["kopia": #"{"cacheLimitMB": 2048}"#]
            _ = try await env.admin.create(.configMaps, repository)
            try await DataDownloadCacheTests.createDownload(env.admin, "dd-cached", snapshotSize: 64 << 20)
            let args = env.serverArguments([
                "--node-agent-configmap", "node-agent-settings", "--backup-repository-configmap", "repo-config",
                "--simulated-duration", "2s",
            ])
            try await LifeboatProcess.withStarted(lifeboat, args, outputPath: env.log("server")) { server in
                var size: JSONValue?
                try await Self.waitUntil("the cache PVC of dd-cached", server: server) {
                    guard
                        try await Cluster.exists(
                            env.admin,
                            NodeAgentController.persistentVolumeClaims,
                            "dd-cached-cache"
                        )
                    else {
                        return false
                    }
                    let claim = try await env.admin.get(
                        NodeAgentController.persistentVolumeClaims,
                        namespace: Cluster.namespace,
                        name: "dd-cached-cache"
                    )
                    size = claim["spec"]?["resources"]?["requests"]?["storage"]
                    return true
                }
                #expect(size == "3Gi")
                try await Self.waitUntil("dd-cached Completed", server: server) {
                    try await Cluster.load(env.admin, .dataDownload, "dd-cached")?.phase == .completed
                }
                let target = try await env.admin.get(
                    NodeAgentController.persistentVolumeClaims,
                    namespace: "restored",
                    name: "dd-cached-target"
                )
                #expect(target["status"]?["phase"] == "Bound")
                #expect(!server.output.contains("Failed to get backup repository configs"), "\(server.output)")
                try await Self.expectGracefulStop(server)
            }
        }
    }

    @Test func aRestartedServerResumesAnInProgressLoadAndCompletesItOnce() async throws {
        let lifeboat = try LifeboatProcess.require()
        try await Self.withEnvironment(nodes: 1, configMap: nil) { env in
            let observer = LoadObserver(client: env.admin, namespace: Cluster.namespace)
            let args = env.serverArguments(["--simulated-duration", "6s"])
            try await Self.observing(observer) {
                let stopped = try await LifeboatProcess.withStarted(lifeboat, args, outputPath: env.log("first")) {
                    server in
                    try await Self.createUpload(env.admin, "du-resume")
                    try await Self.waitUntil("du-resume InProgress", server: server) {
                        try await Cluster.upload(env.admin, "du-resume")?.phase == .inProgress
                    }
                    try await Self.expectGracefulStop(server)
                    #expect(server.output.contains("no node-agent ConfigMap, using the defaults"))
                    return try #require(try await Cluster.upload(env.admin, "du-resume"))
                }
                // The node agent stopped mid-way: the load stays InProgress on its node, with its finalizer.
                #expect(stopped.phase == .inProgress)
                #expect(stopped.node == Self.node)
                #expect(stopped.hasFinalizer)

                try await LifeboatProcess.withStarted(lifeboat, args, outputPath: env.log("second")) { server in
                    try await Self.waitUntil("du-resume Completed and cleaned up", server: server) {
                        guard try await Cluster.upload(env.admin, "du-resume")?.phase == .completed else {
                            return false
                        }
                        return try await Self.isReleased(env.admin, "du-resume")
                    }
                    #expect(server.output.contains("resuming an in-progress load"), "\(server.output)")
                    let done = try #require(try await Cluster.upload(env.admin, "du-resume"))
                    #expect(done.object["status"]?["startTimestamp"] == stopped.object["status"]?["startTimestamp"])
                    try await Self.expectGracefulStop(server)
                }
            }
            let seen = observer.observation
            #expect(Self.wentThroughTheHappyPath(seen.history["du-resume"]), "\(seen.history["du-resume"] ?? [])")
            #expect(seen.completions["du-resume"] == 1)
        }
    }
}
