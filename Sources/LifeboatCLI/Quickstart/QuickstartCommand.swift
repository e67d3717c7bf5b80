import ArgumentParser
import BackupEngine
import Foundation
import KubeSandbox
import Kubernetes
import Logging
import ObjectStorage
import VeleroAPI

/// `lifeboat quickstart` (what `make quickstart` runs): the main job on embedded defaults.
///
/// Starts an in-process sandbox cluster with the demo application, points a local-folder backup storage location
/// at a temporary folder, starts a node agent per node, shows the application and reads its volume data (size and
/// SHA-256 of every file), backs it up with file-system backup of its volumes, deletes the application, previews
/// and runs the restore, and verifies that every object is back and every backed-up file is back unchanged. Where
/// containers cannot run (no bubblewrap or mount namespaces) it says so and checks objects only. Nothing outside
/// the process, its child processes and the temporary folder is touched.
struct QuickstartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Run the main job on an embedded sandbox cluster with a sample application."
    )

    @Option(name: .long, help: "Folder for the sandbox data and the backup location (default: a new temporary folder).")
    var workDir: String?

    @Flag(name: .long, help: "Keep the work folder afterwards (it is removed by default).")
    var keep = false

    func run() async throws {
        let folder = URL(
            fileURLWithPath: workDir ?? NSTemporaryDirectory() + "lifeboat-quickstart-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // The sandbox shares the backup location's folder with its nodes by path: one spelling of it.
        let root = folder.resolvingSymlinksInPath()
        defer { if !keep { try? FileManager.default.removeItem(at: root) } }
        var logger = Logger(label: "lifeboat.quickstart") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning

        let steps = QuickstartSteps(root: root, logger: logger)
        try await SignalCancellation.exitOnInterruption {
            try await SignalCancellation.run { try await steps.run() }
        }
        if keep { print("\nWork folder kept at \(root.path)") }
    }
}

/// The quickstart's steps, printed as they go.
struct QuickstartSteps: Sendable {
    let root: URL
    let logger: Logger

    func step(_ number: Int, _ text: String) {
        print("\n==> \(number). \(text)")
    }

    /// Whether the volume data is backed up and checked, and why not.
    enum VolumeData: Sendable {
        /// Node agents run `executable` on every node.
        case checked(executable: String)
        case skipped(reason: String)
    }

    func run() async throws {
        let bucket = root.appendingPathComponent("backup-location")
        try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
        let executable = SandboxServeCommand.currentExecutable()
        let volumeData: VolumeData
        if let reason = Sandbox.containersUnavailableReason() {
            volumeData = .skipped(reason: "containers cannot run on this machine: \(reason)")
        } else if let executable {
            volumeData = .checked(executable: executable)
        } else {
            volumeData = .skipped(
                reason: "the path of the running lifeboat executable is unknown (for the node agents)"
            )
        }

        step(1, "Starting an embedded sandbox cluster with the demo application")
        var configuration = SandboxConfiguration(
            port: 0,
            dataDirectory: root.appendingPathComponent("sandbox"),
            nodes: 3,
            seed: .demo,
            customResources: .velero,
            imageCommands: executable.map { [SandboxConfiguration.lifeboatImage: $0] } ?? [:]
        )
        // The node agents' hosting pods reach the `filesystem` location's folder as the nodes of a real cluster
        // reach a network filesystem.
        configuration.sharedHostPaths = [bucket.path]
        let sandbox = try await Sandbox.start(configuration, logger: logger)
        do {
            let kubeconfigPath = root.appendingPathComponent("kubeconfig").path
            try sandbox.writeKubeconfig(to: kubeconfigPath)
            print("    API server \(sandbox.serverURL); kubeconfig \(kubeconfigPath)")
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            try await withKubeClient(config: config, logger: logger) { client in
                let locations = try await prepare(client: client, bucket: bucket)
                switch volumeData {
                case .checked(let executable):
                    step(4, "Starting a node agent per node (lifeboat node-agent server, logs in \(root.path))")
                    let nodes = try await client.list(GroupVersionResource(group: "", version: "v1", resource: "nodes"))
                        .items.compactMap(\.name).sorted()
                    try await QuickstartNodeAgents.with(
                        executable: executable,
                        kubeconfig: kubeconfigPath,
                        namespace: "velero",
                        nodes: nodes,
                        hostPods: { sandbox.volumesRoot.appendingPathComponent("nodes/\($0)/pods").path },
                        logFolder: root
                    ) { agents in
                        try await agents.waitUntilServing(client: client, namespace: "velero")
                        print("    \(nodes.count) node agents serve \(nodes.joined(separator: ", "))")
                        try await backUpAndRestore(client: client, locations: locations, volumeData: volumeData)
                    }
                case .skipped(let reason):
                    step(4, "Node agents: not started")
                    print("    File-system backup needs pods that run, and \(reason).")
                    try await backUpAndRestore(client: client, locations: locations, volumeData: volumeData)
                }
            }
            try await sandbox.stop()
        } catch {
            try? await Task { try await sandbox.stop() }.value
            throw error
        }
    }

    /// Steps 2 and 3: shows the application, creates the install namespace and the backup storage location.
    private func prepare(client: KubeClient, bucket: URL) async throws -> StorageLocations {
        let version = try await client.serverVersion()
        print("    Kubernetes \(version.gitVersion)")

        step(2, "The demo application (namespace demo), as Lifeboat's client sees it")
        print("    \(await Self.waitForDemo(client: client))")
        let inventory = try await Inventory.take(client: client, namespace: "demo")
        print(
            Table.render(header: ["KIND", "NAME"], rows: inventory.map { [$0.kind, $0.name] }).split(separator: "\n")
                .map { "    " + $0 }.joined(separator: "\n")
        )

        step(3, "Creating namespace velero and a local-folder backup storage location")
        _ = try? await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "velero"))
        var spec = BackupStorageLocation.Spec(provider: "filesystem", objectStorage: .init(bucket: bucket.path))
        spec.default = true
        let location = BackupStorageLocation(metadata: ObjectMeta(name: "default", namespace: "velero"), spec: spec)
        if let object = KubeObject(try JSONValue(encoding: location)) {
            _ = try await client.create(StorageLocations.resource, namespace: "velero", object)
        }
        print("    backup-location default → \(bucket.path)")
        return StorageLocations(
            client: client,
            namespace: "velero",
            factory: ObjectStoreFactory(environment: [:]),
            logger: logger
        )
    }

    /// Steps 5 to the end: reads the volume data, backs up, wrecks, restores and verifies.
    private func backUpAndRestore(client: KubeClient, locations: StorageLocations, volumeData: VolumeData) async throws
    {
        var volumes: VolumeFingerprint?
        switch volumeData {
        case .checked:
            step(5, "Reading the application's volume data (size and SHA-256 of every file, through pods/exec)")
            volumes = try await readVolumes(client: client)
        case .skipped(let reason):
            step(5, "Volume data: skipped")
            print("    The volumes' data is not read, backed up, restored or checked: \(reason).")
            print("    The application's objects are (its pods do not run, so nothing writes to its volumes).")
        }

        let checked = volumes != nil
        step(
            6,
            checked ? "Backing up namespace demo, its volumes with file-system backup" : "Backing up namespace demo"
        )
        let (location, store) = try await locations.writableStore(nil)
        var backupSpec = BackupSpec()
        backupSpec.includedNamespaces = ["demo"]
        backupSpec.storageLocation = "default"
        if checked { backupSpec.defaultVolumesToFsBackup = true }
        let volumeProgress = PodVolumeProgressLine(isTTY: isatty(STDERR_FILENO) != 0)
        let runner = BackupRunner(
            client: client,
            store: store,
            configuration: .init(
                namespace: "velero",
                podVolumes: checked
                    ? PodVolumeBackupper.Configuration(
                        location: location,
                        resolver: StorageLocationResolver(
                            client: client,
                            namespace: "velero",
                            factory: locations.factory,
                            logger: logger
                        ),
                        timeout: .seconds(600),
                        progress: { volumeProgress.update($0) }
                    ) : nil
            ),
            logger: logger
        )
        let started = ContinuousClock.now
        let backup = try await runner.run(Backup(metadata: ObjectMeta(name: "demo-backup"), spec: backupSpec))
        let elapsed = ContinuousClock.now - started
        if isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print(
            "    backup demo-backup: \(backup.status?.phase ?? "?"), \(backup.status?.progress?.itemsBackedUp ?? 0) "
                + "items in \(elapsed.formatted(.units(allowed: [.milliseconds])))"
        )
        let volumeLines = volumeProgress.summary
        if !volumeLines.isEmpty {
            print("    Pod volume backups:")
            for line in volumeLines { print("    \(line)") }
        }

        step(7, "lifeboat backup describe demo-backup --details")
        let podVolumeBackups = try await describe(backup, store: store, client: client)

        guard backup.status?.phase == BackupPhase.completed else {
            throw CLIError("quickstart: the backup ended \(backup.status?.phase ?? "?")")
        }
        if let volumes, podVolumeBackups.count < volumes.volumes.count {
            throw CLIError(
                "quickstart: the backup has \(podVolumeBackups.count) pod volume backups for the application's "
                    + "\(volumes.volumes.count) volumes (\(volumes.volumes.map(\.claim).joined(separator: ", ")))"
            )
        }

        step(8, "Wrecking the application: deleting namespace demo")
        let before = try await Snapshot.take(client: client, namespace: "demo")
        _ = try await client.delete(.namespaces, name: "demo")
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while (try? await client.get(.namespaces, name: "demo")) != nil {
            guard clock.now < deadline else { throw CLIError("quickstart: namespace demo was not deleted within 60s") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let left = try await Inventory.take(client: client, namespace: "demo").count
        print("    namespace demo is gone (\(left) objects left)")

        step(9, "Previewing the restore (lifeboat restore create --from-backup demo-backup --dry-run)")
        let restoreRunner = { (dryRun: Bool) in
            RestoreRunner(
                client: client,
                store: store,
                configuration: .init(
                    namespace: "velero",
                    parallelism: 16,
                    dryRun: dryRun,
                    podVolumeOperationTimeout: .seconds(600)
                ),
                logger: logger
            )
        }
        let preview = try await restoreRunner(true).run(
            Restore(metadata: ObjectMeta(name: "demo-restore"), spec: RestoreSpec(backupName: "demo-backup"))
        )
        print(
            RestoreReportText.render(preview.report, results: preview.results, verbose: true).split(
                separator: "\n",
                omittingEmptySubsequences: false
            ).map { "    " + $0 }.joined(separator: "\n")
        )

        step(10, "Restoring (lifeboat restore create demo-restore --from-backup demo-backup)")
        let restoreStart = ContinuousClock.now
        let outcome = try await restoreRunner(false).run(
            Restore(metadata: ObjectMeta(name: "demo-restore"), spec: RestoreSpec(backupName: "demo-backup"))
        )
        print(
            "    restore demo-restore: \(outcome.restore.status?.phase ?? "?") in "
                + (ContinuousClock.now - restoreStart).formatted(.units(allowed: [.milliseconds]))
        )
        var restoreText = RestoreReportText.podVolumes(outcome.report, verbose: true)
        restoreText += RestoreReportText.render(outcome.report, results: outcome.results, verbose: false)
        print(
            restoreText.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
                .joined(separator: "\n")
        )

        step(11, "Verifying every object is back (server-set fields ignored)")
        let after = try await Snapshot.take(client: client, namespace: "demo")
        let differences = Snapshot.compare(before: before, after: after)
        for line in differences { print("    ✗ \(line)") }
        print("    \(before.objects.count) objects checked, \(differences.count) differences")

        var comparisons: [VolumeComparison] = []
        if let volumes {
            step(12, "Verifying the volume data (every backed-up file's SHA-256, read in the restored pods)")
            // A restore that did not complete may leave pods waiting for their data: no long wait for them.
            let wait: Duration = outcome.restore.status?.phase == "Completed" ? .seconds(120) : .seconds(10)
            comparisons = try await verifyVolumes(client: client, expected: volumes, wait: wait)
        }

        let restorePhase = outcome.restore.status?.phase ?? "?"
        let problems = comparisons.flatMap(\.problems)
        print("\nSummary")
        print(
            "    backup   demo-backup   \(backup.status?.phase ?? "?")   "
                + "\(backup.status?.progress?.itemsBackedUp ?? 0) items, \(podVolumeBackups.count) pod volumes   "
                + elapsed.formatted(.units(allowed: [.milliseconds]))
        )
        let restoredVolumes = outcome.report.podVolumes.filter { $0.phase == "Completed" }.count
        print(
            "    restore  demo-restore  \(restorePhase)   \(outcome.report.totals["create"] ?? 0) created, "
                + "\(restoredVolumes) pod volumes"
        )
        print("    objects  \(differences.isEmpty ? "every object is back" : "\(differences.count) differences")")
        switch volumeData {
        case .skipped(let reason):
            print("    volumes  not checked: \(reason)")
        case .checked:
            let files = comparisons.reduce(0) { $0 + $1.expected.files.count }
            let bytes = comparisons.reduce(0) { $0 + $1.expected.bytes }
            print(
                "    volumes  \(comparisons.count) volumes, \(files) files, "
                    + "\(PodVolumeProgressLine.bytes(Int64(bytes))): "
                    + (problems.isEmpty ? "every file is back, identical" : "\(problems.count) problems")
            )
        }
        var failures: [String] = []
        if restorePhase != "Completed" { failures.append("the restore ended \(restorePhase)") }
        if !differences.isEmpty {
            failures.append("\(differences.count) restored objects differ from the backed-up ones (listed above)")
        }
        if !problems.isEmpty {
            failures.append(
                "the restored volume data differs from the backed-up data:\n"
                    + problems.map { "  " + $0 }.joined(separator: "\n")
            )
        }
        guard failures.isEmpty else { throw CLIError("quickstart: " + failures.joined(separator: "; ")) }
        if case .checked = volumeData {
            print("\nQuickstart finished: backed up, wrecked, restored and verified the demo application and its data.")
        } else {
            print(
                "\nQuickstart finished: backed up, wrecked, restored and verified the demo application's objects "
                    + "(its volume data was not checked)."
            )
        }
    }

    /// Step 7: prints what `backup describe --details` prints; returns the backup's PodVolumeBackups.
    private func describe(_ backup: Backup, store: BackupStore, client: KubeClient) async throws -> [PodVolumeBackup] {
        let results = await BackupDescribeCommand.results(of: "demo-backup", in: store)
        var text = BackupDescribeCommand.describe(backup, location: "default", results: results)
        if let bytes = try await store.gunzipped(store.layout.backupResourceList("demo-backup")),
            let list = try JSONValue(parsing: bytes).objectValue
        {
            text += "\nResource List:\n"
            for (kind, items) in list.sorted(by: { $0.key < $1.key }) {
                text += "  \(kind):\n" + (items.arrayValue ?? []).map { "    - \($0.stringValue ?? "")\n" }.joined()
            }
        }
        let podVolumeBackups = await BackupPodVolumes.inCluster(
            client: client,
            namespace: "velero",
            backup: "demo-backup"
        ).sorted { $0.name < $1.name }
        text += "\nBackup Volumes:\n" + PodVolumeDescription.backups(podVolumeBackups, details: true)
        print(text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        return podVolumeBackups
    }
}

extension QuickstartSteps {
    /// Waits (up to 30 s) until the demo's Deployment `web` and StatefulSet `db` have their pods Ready, so the
    /// backup finds the application running and its volumes written to; says how far it got.
    static func waitForDemo(client: KubeClient) async -> String {
        let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
        let statefulSets = GroupVersionResource(group: "apps", version: "v1", resource: "statefulsets")
        let deadline = ContinuousClock.now + .seconds(30)
        var summary = ""
        while true {
            var counts: [(String, Int64, Int64)] = []
            for (kind, resource, name) in [("deployment", deployments, "web"), ("statefulset", statefulSets, "db")] {
                let object = try? await client.get(resource, namespace: "demo", name: name)
                let ready = object?.value["status"]?["readyReplicas"]?.intValue ?? 0
                counts.append(("\(kind)/\(name)", ready, object?.value["spec"]?["replicas"]?.intValue ?? 1))
            }
            summary = counts.map { "\($0.0) \($0.1)/\($0.2) Ready" }.joined(separator: ", ")
            if counts.allSatisfy({ $0.1 >= $0.2 }) { return "the application runs: \(summary)" }
            if ContinuousClock.now >= deadline { return "the application is not fully running yet: \(summary)" }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}
