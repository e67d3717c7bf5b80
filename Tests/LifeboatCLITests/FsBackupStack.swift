import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Synchronization
import Testing

@testable import KubeSandbox

/// Whether this machine can run the sandbox's containers (bubblewrap with mount namespaces).
let fsBackupContainersRun: Bool = {
    if case .available = Kubelet.checkIsolation() { return true }
    return false
}()

/// The whole file-system backup stack on one machine, shared by the `FsBackup*Tests` suites: a two-node sandbox
/// whose containers run (bubblewrap), a `filesystem` backup location `default` whose folder the nodes share, the
/// StorageClass `standard`, and one `lifeboat node-agent server` process per node. Each PodVolumeBackup/Restore
/// runs in its hosting pod as `lifeboat pod-volume backup|restore` (the Lifeboat image mapped to the built
/// binary); `backup create` and `restore create` run in direct mode as a user runs them.
///
/// ```swift
/// try await FsBackupStack.with(prefix: "lifeboat-fs") { stack in
///     let backup = try await stack.lifeboat(["backup", "create", "b1", "--include-namespaces", "app", "--wait"])
/// }
/// ```
struct FsBackupStack: Sendable {
    static let claims = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims")
    static let storageClasses = GroupVersionResource(group: "storage.k8s.io", version: "v1", resource: "storageclasses")
    static let podVolumeBackups = GroupVersionResource(group: "velero.io", version: "v1", resource: "podvolumebackups")
    static let podVolumeRestores = GroupVersionResource(
        group: "velero.io",
        version: "v1",
        resource: "podvolumerestores"
    )
    static let leases = GroupVersionResource(group: "coordination.k8s.io", version: "v1", resource: "leases")

    /// The temporary folder (kubeconfig, bucket, logs, password file).
    let folder: URL
    /// The backup location's folder.
    let bucket: URL
    let sandbox: Sandbox
    let client: KubeClient
    let binary: String
    /// `KUBECONFIG` and `HOME` for the `lifeboat` processes.
    let environment: [String: String]
    /// The sandbox's node names.
    let nodes: [String]
    /// The running node agents.
    let agents: NodeAgents

    /// The node-agent processes by node; a test kills and restarts them.
    final class NodeAgents: Sendable {
        /// Each node's process and how many times one was started there (for the log file's name).
        let state = Mutex<[String: (child: LifeboatProcess.Child, starts: Int)]>([:])

        /// The process of `node`'s node agent, if one was started.
        func child(on node: String) -> LifeboatProcess.Child? { state.withLock { $0[node]?.child } }

        /// Kills every node agent (SIGKILL).
        func killAll() {
            for (_, entry) in state.withLock({ $0 }) { entry.child.send(SIGKILL) }
        }
    }

    /// Starts the stack, runs `body`, and stops the node agents and the sandbox, also when `body` throws. With
    /// `setUp` false, only the sandbox runs (no namespace, location, StorageClass or node agents): the test installs.
    static func with(
        prefix: String,
        setUp: Bool = true,
        _ body: (FsBackupStack) async throws -> Void
    ) async throws {
        let binary = try LifeboatProcess.require()
        try await withTemporaryDirectory(prefix: prefix) { directory in
            let folder = directory.resolvingSymlinksInPath()
            let bucket = folder.appendingPathComponent("bucket")
            try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
            var configuration = SandboxConfiguration(
                port: 0,
                dataDirectory: folder.appendingPathComponent("sandbox"),
                nodes: 2,
                customResources: .velero,
                imageCommands: SandboxConfiguration.testImageCommands
            )
            configuration.imageCommands[SandboxConfiguration.lifeboatImage] = binary
            configuration.sharedHostPaths = [bucket.path]
            try await withSandbox(configuration: configuration) { sandbox, client in
                let kubeconfig = folder.appendingPathComponent("kubeconfig").path
                try sandbox.writeKubeconfig(to: kubeconfig)
                let nodes = try await client.list(GroupVersionResource(group: "", version: "v1", resource: "nodes"))
                    .items.compactMap(\.name).sorted()
                try #require(nodes.count == 2)
                let stack = FsBackupStack(
                    folder: folder,
                    bucket: bucket,
                    sandbox: sandbox,
                    client: client,
                    binary: binary,
                    environment: ["KUBECONFIG": kubeconfig, "HOME": folder.path],
                    nodes: nodes,
                    agents: NodeAgents()
                )
                defer { stack.agents.killAll() }
                if setUp { try await stack.setUp() }
                try await body(stack)
            }
        }
    }

    /// Creates the install namespace, the backup location, the StorageClass, and starts the node agents.
    private func setUp() async throws {
        try await client.createNamespaceAndWait("velero")
        let location = try await lifeboat([
            "backup-location", "create", "default", "--provider", "filesystem", "--bucket", bucket.path, "--default",
        ])
        try #require(location.status == 0, "\(location.output)")
        try await createStorageClass()
        for node in nodes { try startNodeAgent(on: node) }
        try await waitForNodeAgents()
    }

    /// Creates the StorageClass `standard` (the sandbox's CSI provisioner).
    func createStorageClass() async throws {
        var storageClass = KubeObject(apiVersion: "storage.k8s.io/v1", kind: "StorageClass", name: "standard")
        storageClass["provisioner"] = "sandbox.csi.lifeboat.io"
        _ = try await client.create(Self.storageClasses, storageClass)
    }

    // MARK: - Processes

    /// Runs `lifeboat arguments…` to its end with the stack's kubeconfig.
    func lifeboat(_ arguments: [String], timeout: Duration = .seconds(180)) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            binary,
            arguments,
            environment: environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a },
            inheritEnvironment: false,
            timeout: timeout
        )
    }

    /// Starts `lifeboat node-agent server` for `node` (its log: `node-agent-<node>[-<n>].log` in the folder).
    func startNodeAgent(on node: String) throws {
        let starts = agents.state.withLock { $0[node]?.starts ?? 0 }
        let log = folder.appendingPathComponent("node-agent-\(node)\(starts == 0 ? "" : "-\(starts)").log").path
        let child = try LifeboatProcess.start(
            binary,
            [
                "node-agent", "server", "--node-name", node, "--host-pods",
                sandbox.volumesRoot.appendingPathComponent("nodes/\(node)/pods").path,
                "--node-pods", "/var/lib/kubelet/pods",
            ],
            outputPath: log,
            environment: environment
        )
        agents.state.withLock { $0[node] = (child, starts + 1) }
    }

    /// Kills `node`'s node agent with SIGKILL and waits for the process to end.
    func killNodeAgent(on node: String) async throws {
        try await agents.child(on: node)?.kill()
    }

    /// Waits until every node's agent holds its Lease.
    func waitForNodeAgents() async throws {
        try await waitUntil("the node agents hold their Leases", timeout: .seconds(120)) {
            let held = try await client.list(Self.leases, namespace: "velero").items.compactMap(\.name)
            return nodes.allSatisfy { held.contains("lifeboat-node-agent-\($0)") }
        }
    }

    // MARK: - Repository

    /// The repository of the pods of `namespace` (the backup location's `restic/<namespace>`).
    func repository(of namespace: String) -> String { bucket.appendingPathComponent("restic/\(namespace)").path }

    /// Runs the stock `restic` on `namespace`'s repository with the password of `velero-repo-credentials`.
    func restic(_ arguments: [String], namespace: String = "app") async throws -> ChildProcess.Result {
        let password = folder.appendingPathComponent("repository-password")
        if !FileManager.default.fileExists(atPath: password.path) {
            let secret = try await client.get(.secrets, namespace: "velero", name: "velero-repo-credentials")
            let encoded = try #require(secret["data"]?["repository-password"]?.stringValue)
            try #require(Data(base64Encoded: encoded)).write(to: password)
        }
        return try await ChildProcess.run(
            try ChildProcess.find("restic"),
            ["-r", repository(of: namespace), "--password-file", password.path, "--no-cache"] + arguments,
            timeout: .seconds(180)
        )
    }

    /// `restic check --read-data` on `namespace`'s repository; records its output when it is not clean.
    ///
    /// `--no-lock`: a data path killed mid-upload leaves its lock behind, and restic cannot tell it is stale (the
    /// hosting pod ran on this host under a PID that exists again); Lifeboat's own backups and restores share
    /// the repository under it.
    func expectCheckIsClean(
        namespace: String = "app",
        sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws
    {
        let check = try await restic(["--no-lock", "check", "--read-data"], namespace: namespace)
        #expect(check.status == 0, "restic check: \(check.output)", sourceLocation: sourceLocation)
    }

    /// The snapshots of `namespace`'s repository as restic lists them.
    func snapshots(namespace: String = "app") async throws -> [JSONValue] {
        let listed = try await restic(["snapshots", "--json"], namespace: namespace)
        try #require(listed.status == 0, "\(listed.output)")
        return try JSONValue(parsing: Array(listed.stdoutData)).arrayValue ?? []
    }

    /// Bytes of the files under `path` in the bucket.
    func bytes(under path: String) -> Int {
        let root = bucket.appendingPathComponent(path)
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey]) else {
            return 0
        }
        var total = 0
        for case let url as URL in walk {
            total += (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
        }
        return total
    }

    // MARK: - Loads

    /// The PodVolumeBackups of `backup`.
    func podVolumeBackups(of backup: String) async throws -> [KubeObject] {
        let selector = try LabelSelector(parsing: "velero.io/backup-name=\(backup)")
        return try await client.list(
            Self.podVolumeBackups,
            namespace: "velero",
            options: .init(labelSelector: selector)
        )
        .items
    }

    /// The PodVolumeRestores of `restore`.
    func podVolumeRestores(of restore: String) async throws -> [KubeObject] {
        let selector = try LabelSelector(parsing: "velero.io/restore-name=\(restore)")
        return try await client.list(
            Self.podVolumeRestores,
            namespace: "velero",
            options: .init(labelSelector: selector)
        )
        .items
    }

    /// The `status.phase` of `backup`.
    func backupPhase(_ backup: String) async throws -> String? {
        let backups = GroupVersionResource(group: "velero.io", version: "v1", resource: "backups")
        return try await client.get(backups, namespace: "velero", name: backup)["status"]?["phase"]?.stringValue
    }

    /// The `status.phase` of `restore`.
    func restorePhase(_ restore: String) async throws -> String? {
        let restores = GroupVersionResource(group: "velero.io", version: "v1", resource: "restores")
        return try await client.get(restores, namespace: "velero", name: restore)["status"]?["phase"]?.stringValue
    }

    // MARK: - Pods

    /// Creates a PVC `name` of the StorageClass `standard`.
    func createClaim(_ name: String, namespace: String = "app") async throws {
        var claim = KubeObject(apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: namespace, name: name)
        claim["spec"] = [
            "accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
            "resources": ["requests": ["storage": "1Gi"]],
        ]
        _ = try await client.create(Self.claims, claim)
    }

    /// Creates the pod `name` running ``FsBackupEndToEndTests/writer``: the claim `data` at `/data` and an emptyDir at
    /// `/scratch`, with `annotations`; waits until it runs and has written its files.
    func createWriter(
        _ name: String = "writer",
        namespace: String = "app",
        annotations: [String: String] = [:]
    )
        async throws
    {
        var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: namespace, name: name)
        if !annotations.isEmpty { pod.value[path: ["metadata", "annotations"]] = try JSONValue(encoding: annotations) }
        pod["spec"] = [
            "terminationGracePeriodSeconds": 2,
            "containers": [
                [
                    "name": "app", "image": "busybox:1.36",
                    "command": ["sh", "-c", .string(FsBackupEndToEndTests.writer)],
                    "volumeMounts": [
                        ["name": "data", "mountPath": "/data"], ["name": "scratch", "mountPath": "/scratch"],
                    ],
                ]
            ],
            "volumes": [
                ["name": "data", "persistentVolumeClaim": ["claimName": "data"]], ["name": "scratch", "emptyDir": [:]],
            ],
        ]
        _ = try await client.create(.pods, pod)
        try await waitForPod(name, namespace: namespace, marker: "/data/done")
    }

    /// Runs `script` with `sh -c` in `pod`'s container `app`; throws with its stderr when it fails.
    @discardableResult
    func exec(_ script: String, pod: String, namespace: String = "app") async throws -> String {
        let result = try await client.exec(
            namespace: namespace,
            pod: pod,
            container: "app",
            command: ["sh", "-c", script]
        )
        try #require(result.exitCode == 0, "\(pod): \(script): \(result.stderrText)")
        return result.stdoutText
    }

    /// Waits until `pod` runs and its file `marker` exists (its writer is done).
    func waitForPod(
        _ pod: String,
        namespace: String = "app",
        marker: String,
        timeout: Duration = .seconds(120)
    )
        async throws
    {
        try await waitUntil("\(namespace)/\(pod) runs and has \(marker)", timeout: timeout) {
            let object = try? await client.get(.pods, namespace: namespace, name: pod)
            guard object?["status"]?["phase"] == "Running" else { return false }
            let check = try? await client.exec(
                namespace: namespace,
                pod: pod,
                container: "app",
                command: ["test", "-e", marker]
            )
            return check?.exitCode == 0
        }
    }

    /// Every entry under `root` in the pod: path, type, mode, owner, size, mtime (ns), link target, and the
    /// SHA-256 of files. Directories' sizes and mtimes are left out (the file system's bookkeeping, not data).
    func tree(pod: String, namespace: String = "app", root: String) async throws -> [String] {
        let script =
            "cd \(root) && find . -mindepth 1 ! -path './.velero*' ! -name done -printf '%p %y %m %U:%G %s %T@ %l\\n' "
            + "| LC_ALL=C sort && find . -type f ! -path './.velero*' ! -name done | LC_ALL=C sort | xargs -r sha256sum"
        return try await exec(script, pod: pod, namespace: namespace).split(separator: "\n").map { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            if fields.count >= 6, fields[1] == "d" { return "\(fields[0]) d \(fields[2]) \(fields[3])" }
            return String(line)
        }
    }

    /// What a restored pod looks like when it does not start: its status, init containers and the loads.
    func describeRestoredPod(_ pod: String, namespace: String) async -> String {
        let object = try? await client.get(.pods, namespace: namespace, name: pod)
        let loads = (try? await client.list(Self.podVolumeRestores, namespace: "velero"))?.items ?? []
        let states = loads.map { "\($0.name ?? ""): \($0["status"]?.jsonString ?? "")" }
        return "pod \(namespace)/\(pod): \(object?["status"]?.jsonString ?? "none"); PodVolumeRestores: \(states)"
    }
}

extension KubeObject {
    /// A load's `status.phase`.
    var phase: String? { self["status"]?["phase"]?.stringValue }
    /// A load's `spec.volume`.
    var volume: String { self["spec"]?["volume"]?.stringValue ?? "" }
}
