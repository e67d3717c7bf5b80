import Foundation
import KubeSandboxTesting
import Kubernetes
import LocalServers
import Logging
import ObjectStorage
import ProcessTesting
import Testing

/// `lifeboat install` and `uninstall` as Velero's: the manifests and refusals without a cluster, and on a sandbox
/// whose containers run, an install that brings up a working server and node agents (the Lifeboat image mapped to
/// the built binary), a Backup applied with kubectl that moves a running app's volume data to S3, a restore
/// through the server, and an uninstall that removes everything but the backups.
@Suite struct CLIInstallTests {
    /// Runs `lifeboat arguments…` with no cluster (HOME in `directory`).
    static func lifeboat(_ arguments: [String], in directory: URL) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            try LifeboatProcess.require(),
            arguments,
            environment: ["HOME": directory.path, "PATH": "/usr/bin:/bin", "KUBECONFIG": "/nonexistent"],
            inheritEnvironment: false,
            timeout: .seconds(60)
        )
    }

    /// The keys under `prefix` in `store`.
    static func keys(_ store: S3ObjectStore, prefix: String) async throws -> [String] {
        var keys: [String] = []
        for try await entry in store.list(prefix: prefix, delimiter: nil) {
            if case .object(let info) = entry { keys.append(info.key) }
        }
        return keys
    }

    @Test func installRefusesWhatVeleroRefusesAndPrintsVeleroShapedManifests() async throws {
        try await withTemporaryDirectory(prefix: "lifeboat-install") { directory in
            let secret = directory.appendingPathComponent("credentials")
            try Data("[default]\naws_access_key_id = a\naws_secret_access_key = b\n".utf8).write(to: secret)
            for (arguments, message) in [
                (["--bucket", "b", "--no-secret"], "--provider is required"),
                (["--provider", "aws", "--no-secret"], "--bucket is required"),
                (["--provider", "aws", "--bucket", "b"], "One of --secret-file or --no-secret is required"),
                (
                    ["--provider", "aws", "--bucket", "b", "--no-secret", "--secret-file", secret.path],
                    "Cannot use both --secret-file and --no-secret"
                ),
                (["--provider", "azure", "--bucket", "b", "--no-secret"], "--provider \"azure\" is not supported"),
                (
                    ["--provider", "aws", "--bucket", "b", "--no-secret", "--uploader-type", "kopia"],
                    "--uploader-type \"kopia\" is not supported"
                ),
                (
                    ["--provider", "aws", "--bucket", "b", "--no-secret", "--default-volumes-to-fs-backup"],
                    "--use-node-agent is required when using --default-volumes-to-fs-backup"
                ),
                (
                    ["--no-default-backup-location", "--bucket", "b", "--no-secret"],
                    "Cannot use both --bucket and --no-default-backup-location at the same time"
                ),
                (
                    ["--provider", "aws", "--bucket", "b", "--secret-file", "/nonexistent/creds", "--dry-run"],
                    "--secret-file /nonexistent/creds: cannot read the file"
                ),
            ] {
                let result = try await Self.lifeboat(["install"] + arguments, in: directory)
                #expect(result.status != 0, "\(arguments)")
                let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
                #expect(errors.count == 1 && errors.first?.contains(message) == true, "\(arguments): \(result.output)")
            }

            let printed = try await Self.lifeboat(
                [
                    "install", "--provider", "aws", "--bucket", "backups", "--prefix", "c1", "--secret-file",
                    secret.path, "--backup-location-config", "region=eu-west-1,s3ForcePathStyle=true",
                    "--use-node-agent", "--default-volumes-to-fs-backup", "--dry-run", "-o", "json", "-n", "dr",
                    "--image", "registry.local/lifeboat:v9", "--pod-labels", "team=ops",
                ],
                in: directory
            )
            try #require(printed.status == 0, "\(printed.output)")
            let list = try JSONValue(parsing: Array(printed.stdoutData))
            #expect(list["kind"] == "List")
            let items = list["items"]?.arrayValue ?? []
            let kinds = items.compactMap { $0["kind"]?.stringValue }.filter { $0 != "CustomResourceDefinition" }
            #expect(
                kinds == [
                    "Namespace", "ClusterRoleBinding", "ServiceAccount", "Secret", "BackupStorageLocation",
                    "Deployment", "DaemonSet",
                ]
            )
            #expect(items.filter { $0["kind"] == "CustomResourceDefinition" }.count >= 12)
            func object(_ kind: String) -> JSONValue? { items.first { $0["kind"]?.stringValue == kind } }
            #expect(object("Namespace")?["metadata"]?["labels"]?["pod-security.kubernetes.io/enforce"] == "privileged")
            // Velero names the binding velero-<namespace> outside the namespace velero.
            #expect(object("ClusterRoleBinding")?["metadata"]?["name"] == "velero-dr")
            #expect(object("ClusterRoleBinding")?["roleRef"]?["name"] == "cluster-admin")
            #expect(
                object("Secret")?["data"]?["cloud"]?.stringValue == (try Data(contentsOf: secret)).base64EncodedString()
            )
            let location = object("BackupStorageLocation")
            #expect(location?["metadata"]?["name"] == "default" && location?["metadata"]?["namespace"] == "dr")
            #expect(location?["spec"]?["objectStorage"] == ["bucket": "backups", "prefix": "c1"])
            #expect(location?["spec"]?["config"] == ["region": "eu-west-1", "s3ForcePathStyle": "true"])
            #expect(location?["spec"]?["default"] == true)
            let server = object("Deployment")?["spec"]?["template"]
            let container = server?["spec"]?["containers"]?[0]
            #expect(container?["image"] == "registry.local/lifeboat:v9")
            #expect(container?["imagePullPolicy"] == "IfNotPresent")
            #expect(container?["args"] == ["server", "--default-volumes-to-fs-backup=true", "--uploader-type=restic"])
            #expect(server?["metadata"]?["labels"] == ["component": "velero", "deploy": "velero", "team": "ops"])
            let environment = container?["env"]?.arrayValue ?? []
            #expect(environment.contains(["name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/credentials/cloud"]))
            let agent = object("DaemonSet")?["spec"]?["template"]?["spec"]
            #expect(agent?["containers"]?[0]?["args"] == ["node-agent", "server"])
            #expect(
                agent?["volumes"]?.arrayValue?.contains([
                    "name": "host-pods", "hostPath": ["path": "/var/lib/kubelet/pods"],
                ])
                    == true
            )

            let leastPrivilege = try await Self.lifeboat(
                [
                    "install", "--provider", "aws", "--bucket", "b", "--no-secret", "--least-privilege", "--dry-run",
                    "-o", "json",
                ],
                in: directory
            )
            try #require(leastPrivilege.status == 0, "\(leastPrivilege.output)")
            let roles = (try JSONValue(parsing: Array(leastPrivilege.stdoutData)))["items"]?.arrayValue ?? []
            let binding = roles.first { $0["kind"] == "ClusterRoleBinding" }
            #expect(binding?["roleRef"]?["name"] == "velero")
            let role = roles.first { $0["kind"] == "ClusterRole" }
            #expect(role?["metadata"]?["name"] == "velero")
            #expect(role?["rules"]?[0]?["verbs"] == ["get", "list", "watch"])
            #expect(!roles.contains { $0["kind"] == "Secret" })
        }
    }

    @Test(.enabled(if: fsBackupContainersRun, "needs bubblewrap and mount namespaces"), .timeLimit(.minutes(8)))
    func installBringsUpAServerAndNodeAgentsThatBackUpAndRestoreAnAppliedBackup() async throws {
        let moto = try await MotoServer.shared()
        let bucket = "install-\(UInt32.random(in: 0...UInt32.max))"
        let store = try await moto.makeStore(
            bucket: bucket,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        try await FsBackupStack.with(prefix: "lifeboat-install", setUp: false) { stack in
            let client = stack.client
            let credentials = stack.folder.appendingPathComponent("credentials-velero")
            try Data(
                "[default]\naws_access_key_id = \(MotoServer.accessKeyID)\naws_secret_access_key = \(MotoServer.secretAccessKey)\n"
                    .utf8
            ).write(to: credentials)
            let install = try await stack.lifeboat(
                [
                    "install", "--provider", "aws", "--bucket", bucket, "--secret-file", credentials.path,
                    "--backup-location-config", "region=us-east-1,s3Url=\(moto.endpoint),s3ForcePathStyle=true",
                    "--use-node-agent", "--wait",
                    // The sandbox's pods share the host's network: the server binds a free loopback port.
                    "--metrics-address", "127.0.0.1:0",
                ],
                timeout: .seconds(300)
            )
            try #require(install.status == 0, "\(install.output)")
            #expect(install.stdout.contains("Deployment/velero: created"), "\(install.output)")
            #expect(install.stdout.contains("Lifeboat is installed!"), "\(install.output)")
            // The server runs in its pod: it validated the location with the Secret's credentials.
            let locations = GroupVersionResource(group: "velero.io", version: "v1", resource: "backupstoragelocations")
            try await waitUntil("the default location Available", timeout: .seconds(60)) {
                let location = try await client.get(locations, namespace: "velero", name: "default")
                return location["status"]?["phase"] == "Available"
            }
            let lease = try await client.get(.leases, namespace: "velero", name: "lifeboat-server")
            #expect(lease["spec"]?["holderIdentity"]?.stringValue?.hasPrefix("velero-") == true, "\(lease)")
            // Installing again changes nothing and says so.
            let again = try await stack.lifeboat(
                [
                    "install", "--provider", "aws", "--bucket", bucket, "--secret-file", credentials.path,
                    "--use-node-agent",
                ]
            )
            #expect(again.status == 0, "\(again.output)")
            #expect(again.stdout.contains("Deployment/velero: already exists, proceeding"), "\(again.output)")

            try await stack.createStorageClass()
            try await client.createNamespaceAndWait("app")
            try await stack.createClaim("data")
            try await stack.createWriter()
            let data = try await stack.tree(pod: "writer", root: "/data")

            // A Backup applied with kubectl, as GitOps does: the installed server runs it, the node agents' hosting
            // pods move the volume data to the bucket.
            let manifest = stack.folder.appendingPathComponent("backup.yaml")
            try Data(
                """
                apiVersion: velero.io/v1
                kind: Backup
                metadata:
                  name: b1
                  namespace: velero
                spec:
                  includedNamespaces: [app]
                  defaultVolumesToFsBackup: true

                """.utf8
            ).write(to: manifest)
            let applied = try await ChildProcess.run(
                try ChildProcess.find("kubectl"),
                ["apply", "-f", manifest.path],
                environment: stack.environment,
                timeout: .seconds(60)
            )
            try #require(applied.status == 0, "\(applied.output)")
            do {
                try await waitUntil("backup b1 Completed", timeout: .seconds(180)) {
                    let phase = try await stack.backupPhase("b1")
                    if phase == "Failed" || phase == "PartiallyFailed" { throw CLIInstallFailure(phase ?? "") }
                    return phase == "Completed"
                }
            } catch {
                let loads = try await stack.podVolumeBackups(of: "b1").map {
                    "\($0.name ?? ""): \($0["status"]?.jsonString ?? "")"
                }
                Issue.record(Comment(rawValue: "PodVolumeBackups: \(loads)"))
                throw error
            }
            let loads = try await stack.podVolumeBackups(of: "b1")
            #expect(loads.map(\.volume).sorted() == ["data", "scratch"])
            #expect(loads.allSatisfy { $0.phase == "Completed" }, "\(loads.map { $0["status"]?.jsonString ?? "" })")
            let stored = try await Self.keys(store, prefix: "restic/app/snapshots/")
            #expect(stored.count == 2, "\(stored)")

            _ = try await client.delete(.namespaces, name: "app")
            try await waitUntil("namespace app deleted", timeout: .seconds(120)) {
                (try? await client.get(.namespaces, name: "app")) == nil
            }
            let restore = try await stack.lifeboat(["restore", "create", "r1", "--from-backup", "b1", "--wait"])
            try #require(restore.status == 0, "\(restore.output)")
            #expect(restore.stdout.contains("(server mode)"), "\(restore.output)")
            #expect(restore.stdout.contains("Restore completed with status: Completed."), "\(restore.output)")
            do {
                try await waitUntil("the restored writer runs", timeout: .seconds(60)) {
                    let pod = try? await client.get(.pods, namespace: "app", name: "writer")
                    return pod?["status"]?["phase"] == "Running"
                }
            } catch {
                Issue.record(Comment(rawValue: await stack.describeRestoredPod("writer", namespace: "app")))
                throw error
            }
            #expect(try await stack.tree(pod: "writer", root: "/data") == data)

            let uninstall = try await stack.lifeboat(["uninstall", "--force"], timeout: .seconds(300))
            try #require(uninstall.status == 0, "\(uninstall.output)")
            #expect(uninstall.stdout.contains("Lifeboat namespace \"velero\" deleted"), "\(uninstall.output)")
            #expect(uninstall.stdout.hasSuffix("Lifeboat uninstalled ⛵\n"), "\(uninstall.output)")
            #expect(try await client.getIfPresent(.namespaces, name: "velero") == nil)
            let crds = try await client.list(.customResourceDefinitions).items.compactMap(\.name)
            #expect(!crds.contains { $0.hasSuffix(".velero.io") }, "\(crds)")
            let bindings = GroupVersionResource(
                group: "rbac.authorization.k8s.io",
                version: "v1",
                resource: "clusterrolebindings"
            )
            #expect(try await client.getIfPresent(bindings, name: "velero") == nil)
            // The backups stay in the bucket for a later install to sync.
            #expect(try await Self.keys(store, prefix: "backups/b1/").contains("backups/b1/velero-backup.json"))
            // Uninstalling what is not there says so and succeeds.
            let twice = try await stack.lifeboat(["uninstall", "--force"])
            #expect(twice.status == 0, "\(twice.output)")
            #expect(twice.stdout.contains("Lifeboat namespace \"velero\" does not exist, skipping."), "\(twice.output)")
        }
    }
}

/// A backup that ended in a phase the test did not expect.
struct CLIInstallFailure: Error, CustomStringConvertible {
    var phase: String
    init(_ phase: String) { self.phase = phase }
    var description: String { "the backup ended \(phase)" }
}
