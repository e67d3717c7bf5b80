import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

@testable import KubeSandbox

/// Whether this machine can run the sandbox's containers (bubblewrap with mount namespaces).
let fsBackupContainersRun: Bool = {
    if case .available = Kubelet.checkIsolation() { return true }
    return false
}()

/// File-system backup and restore through the whole stack, as a user runs it: `lifeboat backup create` and
/// `restore create` (direct mode) against a two-node sandbox whose containers run; node agents are
/// `lifeboat node-agent server` processes, one per node; each PodVolumeBackup/Restore runs in its hosting pod as
/// `lifeboat pod-volume backup|restore` (the Lifeboat image mapped to the built binary), against a `filesystem`
/// location shared with the nodes. The stock `restic` reads what the backup wrote, and the restored pod starts on
/// its data.
@Suite(.enabled(if: fsBackupContainersRun, "needs bubblewrap and mount namespaces"))
struct FsBackupEndToEndTests {
    static let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
    static let claims = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims")
    static let storageClasses = GroupVersionResource(group: "storage.k8s.io", version: "v1", resource: "storageclasses")

    /// Writes a tree with contents, modes, mtimes, a symlink and a folder, then idles until stopped.
    static let writer = """
        trap 'exit 0' TERM
        if [ ! -e /data/done ]; then
          mkdir -p /data/sub/deeper && printf 'hello volume\\n' > /data/a.txt && chmod 640 /data/a.txt
          head -c 300000 /dev/urandom > /data/sub/blob.bin && chmod 600 /data/sub/blob.bin
          printf 'deep\\n' > /data/sub/deeper/c.txt && ln -s a.txt /data/link
          touch -d '2021-03-04 05:06:07' /data/a.txt /data/sub/blob.bin
          printf 'scratch data\\n' > /scratch/s.txt
          touch /data/done
        fi
        while true; do sleep 1 & wait $!; done
        """

    /// Every entry under `root` in the pod: path, type, mode, size, mtime, link target and SHA-256 of files.
    static func tree(_ client: KubeClient, pod: String, root: String) async throws -> [String] {
        let script =
            "cd \(root) && find . -mindepth 1 ! -path './.velero*' ! -name done -printf '%p %y %m %s %T@ %l\\n' "
            + "| LC_ALL=C sort && find . -type f ! -path './.velero*' | LC_ALL=C sort | xargs sha256sum"
        let result = try await client.exec(namespace: "app", pod: pod, container: "app", command: ["sh", "-c", script])
        try #require(result.exitCode == 0, "listing \(root): \(result.stderrText)")
        return result.stdoutText.split(separator: "\n").map { line in
            // Directories' sizes and mtimes depend on the filesystem's bookkeeping, not on the data.
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            if fields.count >= 5, fields[1] == "d" { return "\(fields[0]) d \(fields[2])" }
            return String(line)
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aPodsVolumesAreBackedUpAndRestoredThroughHostingPods() async throws {
        let binary = try LifeboatProcess.require()
        try await withTemporaryDirectory(prefix: "lifeboat-fs-e2e") { directory in
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
                let environment = ["KUBECONFIG": kubeconfig, "HOME": folder.path]
                func lifeboat(_ arguments: [String]) async throws -> ChildProcess.Result {
                    try await ChildProcess.run(
                        binary,
                        arguments,
                        environment: environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a },
                        inheritEnvironment: false,
                        timeout: .seconds(180)
                    )
                }
                try await client.createNamespaceAndWait("velero")
                let location = try await lifeboat([
                    "backup-location", "create", "default", "--provider", "filesystem", "--bucket", bucket.path,
                    "--default",
                ])
                try #require(location.status == 0, "\(location.output)")
                var storageClass = KubeObject(apiVersion: "storage.k8s.io/v1", kind: "StorageClass", name: "standard")
                storageClass["provisioner"] = "sandbox.csi.lifeboat.io"
                _ = try await client.create(Self.storageClasses, storageClass)

                var agents: [LifeboatProcess.Child] = []
                defer { for agent in agents { agent.send(SIGKILL) } }
                let nodes = try await client.list(GroupVersionResource(group: "", version: "v1", resource: "nodes"))
                    .items.compactMap(\.name)
                try #require(nodes.count == 2)
                for node in nodes {
                    agents.append(
                        try LifeboatProcess.start(
                            binary,
                            [
                                "node-agent", "server", "--node-name", node, "--host-pods",
                                sandbox.volumesRoot.appendingPathComponent("nodes/\(node)/pods").path,
                                "--node-pods", "/var/lib/kubelet/pods",
                            ],
                            outputPath: folder.appendingPathComponent("node-agent-\(node).log").path,
                            environment: environment
                        )
                    )
                }

                let leases = GroupVersionResource(group: "coordination.k8s.io", version: "v1", resource: "leases")
                try await waitUntil("both node agents hold their Lease") {
                    let held = try await client.list(leases, namespace: "velero").items.compactMap(\.name)
                    return nodes.allSatisfy { held.contains("lifeboat-node-agent-\($0)") }
                }
                try await client.createNamespaceAndWait("app")
                var claim = KubeObject(apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: "app", name: "data")
                claim["spec"] = [
                    "accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                    "resources": ["requests": ["storage": "1Gi"]],
                ]
                _ = try await client.create(Self.claims, claim)
                var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: "app", name: "writer")
                pod.value[path: ["metadata", "annotations"]] = ["backup.velero.io/backup-volumes": "data,scratch"]
                pod["spec"] = [
                    "terminationGracePeriodSeconds": 2,
                    "containers": [
                        [
                            "name": "app", "image": "busybox:1.36", "command": ["sh", "-c", .string(Self.writer)],
                            "volumeMounts": [
                                ["name": "data", "mountPath": "/data"], ["name": "scratch", "mountPath": "/scratch"],
                            ],
                        ]
                    ],
                    "volumes": [
                        ["name": "data", "persistentVolumeClaim": ["claimName": "data"]],
                        ["name": "scratch", "emptyDir": [:]],
                    ],
                ]
                _ = try await client.create(.pods, pod)
                try await waitUntil("the writer's files") {
                    let pod = try await client.get(.pods, namespace: "app", name: "writer")
                    guard pod["status"]?["phase"] == "Running" else { return false }
                    let check = try await client.exec(
                        namespace: "app",
                        pod: "writer",
                        container: "app",
                        command: ["test", "-e", "/data/done"]
                    )
                    return check.exitCode == 0
                }
                let data = try await Self.tree(client, pod: "writer", root: "/data")
                let scratch = try await Self.tree(client, pod: "writer", root: "/scratch")
                #expect(data.contains { $0.hasPrefix("./link l 777") && $0.hasSuffix(" a.txt") })

                let backup = try await lifeboat(["backup", "create", "b1", "--include-namespaces", "app", "--wait"])
                try #require(backup.status == 0, "\(backup.output)")
                #expect(backup.output.contains("Backup completed with status: Completed"))

                // The stock restic reads the repository the backup wrote and finds both volumes.
                let secret = try await client.get(.secrets, namespace: "velero", name: "velero-repo-credentials")
                let encoded = try #require(secret["data"]?["repository-password"]?.stringValue)
                let password = folder.appendingPathComponent("password")
                try #require(Data(base64Encoded: encoded)).write(to: password)
                let restic = try ChildProcess.find("restic")
                let repository = bucket.appendingPathComponent("restic/app").path
                let snapshots = try await ChildProcess.run(
                    restic,
                    ["-r", repository, "--password-file", password.path, "--no-cache", "snapshots", "--json"]
                )
                try #require(snapshots.status == 0, "\(snapshots.output)")
                let listed = try JSONValue(parsing: Array(snapshots.stdoutData)).arrayValue ?? []
                #expect(listed.count == 2)
                let check = try await ChildProcess.run(
                    restic,
                    ["-r", repository, "--password-file", password.path, "--no-cache", "check", "--read-data"]
                )
                #expect(check.status == 0, "\(check.output)")

                _ = try await client.delete(.namespaces, name: "app")
                try await waitUntil("namespace app deleted", timeout: .seconds(120)) {
                    (try? await client.get(.namespaces, name: "app")) == nil
                }
                let restore = try await lifeboat(["restore", "create", "r1", "--from-backup", "b1", "--wait"])
                try #require(restore.status == 0, "\(restore.output)")
                do {
                    try await waitUntil("the restored writer runs", timeout: .seconds(60)) {
                        let pod = try? await client.get(.pods, namespace: "app", name: "writer")
                        return pod?["status"]?["phase"] == "Running"
                    }
                } catch {
                    let pod = try? await client.get(.pods, namespace: "app", name: "writer")
                    let pvrs = try? await client.list(
                        GroupVersionResource(group: "velero.io", version: "v1", resource: "podvolumerestores"),
                        namespace: "velero"
                    )
                    let states = pvrs?.items.map { $0.value.jsonString } ?? []
                    let listing = try? await client.exec(
                        namespace: "app",
                        pod: "writer",
                        container: "restore-wait",
                        command: ["ls", "-laR", "/restores"]
                    )
                    let seen = "\(listing?.stdoutText ?? "") \(listing?.stderrText ?? "")"
                    Issue.record(Comment(rawValue: "restore-wait sees: \(seen)"))
                    let initSpec = pod?["spec"]?["initContainers"]?.jsonString ?? ""
                    Issue.record(Comment(rawValue: "init: \(initSpec)"))
                    let detail =
                        "the restored pod: \(pod?["status"]?.jsonString ?? "none"); PodVolumeRestores: \(states)"
                    Issue.record(Comment(rawValue: detail))
                    throw error
                }
                let restored = try await client.get(.pods, namespace: "app", name: "writer")
                let initContainers = restored["spec"]?["initContainers"]?.arrayValue ?? []
                #expect(initContainers.first?["name"] == "restore-wait")
                #expect(try await Self.tree(client, pod: "writer", root: "/data") == data)
                #expect(try await Self.tree(client, pod: "writer", root: "/scratch") == scratch)
            }
        }
    }
}
