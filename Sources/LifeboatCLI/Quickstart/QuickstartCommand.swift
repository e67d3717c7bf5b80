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
/// Starts an in-process sandbox cluster with the demo application, points a local-folder backup
/// storage location at a temporary folder, shows the application, backs it up, deletes the
/// application, previews and runs the restore, and verifies every object is back. Nothing outside the process and the temporary folder is touched.
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
        let root = URL(
            fileURLWithPath: workDir ?? NSTemporaryDirectory() + "lifeboat-quickstart-\(UUID().uuidString.prefix(8))"
        )
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(at: root) } }
        var logger = Logger(label: "lifeboat.quickstart") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning

        let steps = QuickstartSteps(root: root, logger: logger)
        try await steps.run()
        if keep { print("\nWork folder kept at \(root.path)") }
    }
}

/// The quickstart's steps, printed as they go.
struct QuickstartSteps {
    let root: URL
    let logger: Logger

    func step(_ number: Int, _ text: String) {
        print("\n==> \(number). \(text)")
    }

    func run() async throws {
        let bucket = root.appendingPathComponent("backup-location")
        try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)

        step(1, "Starting an embedded sandbox cluster with the demo application")
        let sandbox = try await Sandbox.start(
            SandboxConfiguration(
                port: 0,
                dataDirectory: root.appendingPathComponent("sandbox"),
                nodes: 3,
                seed: .demo,
                customResources: .velero,
                imageCommands: SandboxServeCommand.currentExecutable().map { [SandboxConfiguration.lifeboatImage: $0] }
                    ?? [:]
            ),
            logger: logger
        )
        do {
            let kubeconfigPath = root.appendingPathComponent("kubeconfig").path
            try sandbox.writeKubeconfig(to: kubeconfigPath)
            print("    API server \(sandbox.serverURL); kubeconfig \(kubeconfigPath)")
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            try await withKubeClient(config: config, logger: logger) { client in
                try await body(client: client, bucket: bucket)
            }
            try await sandbox.stop()
        } catch {
            try? await sandbox.stop()
            throw error
        }
    }

    private func body(client: KubeClient, bucket: URL) async throws {
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

        step(4, "Backing up namespace demo")
        let locations = StorageLocations(
            client: client,
            namespace: "velero",
            factory: ObjectStoreFactory(environment: [:]),
            logger: logger
        )
        let (_, store) = try await locations.writableStore(nil)
        var backupSpec = BackupSpec()
        backupSpec.includedNamespaces = ["demo"]
        backupSpec.storageLocation = "default"
        let runner = BackupRunner(
            client: client,
            store: store,
            configuration: .init(namespace: "velero"),
            logger: logger
        )
        let started = ContinuousClock.now
        let backup = try await runner.run(Backup(metadata: ObjectMeta(name: "demo-backup"), spec: backupSpec))
        let elapsed = ContinuousClock.now - started
        print(
            "    backup demo-backup: \(backup.status?.phase ?? "?"), \(backup.status?.progress?.itemsBackedUp ?? 0) items in \(elapsed.formatted(.units(allowed: [.milliseconds])))"
        )

        step(5, "lifeboat backup describe demo-backup --details")
        let results = await BackupDescribeCommand.results(of: "demo-backup", in: store)
        var text = BackupDescribeCommand.describe(backup, location: "default", results: results)
        if let bytes = try await store.gunzipped(store.layout.backupResourceList("demo-backup")),
            let list = try JSONValue(parsing: bytes).objectValue
        {
            text += "\nResource List:\n"
            for (kind, items) in list {
                text += "  \(kind):\n" + (items.arrayValue ?? []).map { "    - \($0.stringValue ?? "")\n" }.joined()
            }
        }
        print(text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))

        guard backup.status?.phase == BackupPhase.completed else {
            throw CLIError("quickstart: the backup ended \(backup.status?.phase ?? "?")")
        }

        step(6, "Wrecking the application: deleting namespace demo")
        let before = try await Snapshot.take(client: client, namespace: "demo")
        _ = try await client.delete(.namespaces, name: "demo")
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while (try? await client.get(.namespaces, name: "demo")) != nil {
            guard clock.now < deadline else { throw CLIError("quickstart: namespace demo was not deleted within 60s") }
            try await Task.sleep(for: .milliseconds(100))
        }
        print(
            "    namespace demo is gone (\(try await Inventory.take(client: client, namespace: "demo").count) objects left)"
        )

        step(7, "Previewing the restore (lifeboat restore create --from-backup demo-backup --dry-run)")
        let restoreRunner = { (dryRun: Bool) in
            RestoreRunner(
                client: client,
                store: store,
                configuration: .init(namespace: "velero", parallelism: 16, dryRun: dryRun),
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

        step(8, "Restoring (lifeboat restore create demo-restore --from-backup demo-backup)")
        let restoreStart = ContinuousClock.now
        let outcome = try await restoreRunner(false).run(
            Restore(metadata: ObjectMeta(name: "demo-restore"), spec: RestoreSpec(backupName: "demo-backup"))
        )
        print(
            "    restore demo-restore: \(outcome.restore.status?.phase ?? "?") in \((ContinuousClock.now - restoreStart).formatted(.units(allowed: [.milliseconds])))"
        )
        print(
            "    "
                + RestoreReportText.render(outcome.report, results: outcome.results, verbose: false)
                .replacingOccurrences(of: "\n", with: "\n    ")
        )

        step(9, "Verifying every object is back (server-set fields ignored)")
        let after = try await Snapshot.take(client: client, namespace: "demo")
        let differences = Snapshot.compare(before: before, after: after)
        for line in differences { print("    ✗ \(line)") }
        print("    \(before.objects.count) objects checked, \(differences.count) differences")

        print("\nSummary")
        print(
            "    backup   demo-backup   \(backup.status?.phase ?? "?")   \(backup.status?.progress?.itemsBackedUp ?? 0) items   \(elapsed.formatted(.units(allowed: [.milliseconds])))"
        )
        print(
            "    restore  demo-restore  \(outcome.restore.status?.phase ?? "?")   \(outcome.report.totals["create"] ?? 0) created"
        )
        print("    verify   \(differences.isEmpty ? "every object is back" : "\(differences.count) differences")")
        guard differences.isEmpty, outcome.restore.status?.phase == "Completed" else {
            throw CLIError("quickstart: the restored application differs from the backed-up one")
        }
        print("\nQuickstart finished: backed up, wrecked, restored and verified the demo application.")
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

/// The objects of a namespace with the fields a restore is expected to bring back: everything
/// except server-set metadata, status, and the fields Velero's restore deliberately resets.
struct Snapshot {
    var objects: [String: JSONValue]

    /// Fields that differ legitimately after a restore: those Velero's restore resets before it creates an
    /// object (`generateName` of a controller-made pod among them), and the server-set `managedFields`.
    static let ignoredMetadata = Set(RestoreMetadata.strippedMetadataFields + ["managedFields"])

    static func take(client: KubeClient, namespace: String) async throws -> Snapshot {
        var objects: [String: JSONValue] = [:]
        let discovery = try await client.discovery()
        for resource in discovery.preferredResources
        where resource.namespaced && !resource.name.contains("/")
            && resource.verbs.contains("list") && resource.name != "events"
        {
            for try await object in client.listObjects(resource.gvr, namespace: namespace) {
                objects["\(resource.kind)/\(object.name ?? "")"] = normalize(object, kind: resource.kind)
            }
        }
        return Snapshot(objects: objects)
    }

    static func normalize(_ object: KubeObject, kind: String) -> JSONValue {
        var value = object.value
        value["status"] = nil
        if case .object(var metadata)? = value["metadata"] {
            for key in ignoredMetadata { metadata[key] = nil }
            if case .object(var labels)? = metadata["labels"] {
                labels[VeleroLabels.backupName] = nil
                labels[VeleroLabels.restoreName] = nil
                metadata["labels"] = labels.isEmpty ? nil : .object(labels)
            }
            if case .object(var annotations)? = metadata["annotations"] {
                for key in annotations.keys where key.hasPrefix("pv.kubernetes.io/") || key.hasPrefix("volume.") {
                    annotations[key] = nil
                }
                metadata["annotations"] = annotations.isEmpty ? nil : .object(annotations)
            }
            value["metadata"] = .object(metadata)
        }
        // Reset by Velero's restore item actions or re-assigned by the cluster.
        switch kind {
        case "Pod": value[path: ["spec", "nodeName"]] = nil
        case "Service":
            value[path: ["spec", "clusterIP"]] = nil
            value[path: ["spec", "clusterIPs"]] = nil
        case "PersistentVolumeClaim": value[path: ["spec", "volumeName"]] = nil
        default: break
        }
        return value
    }

    static func compare(before: Snapshot, after: Snapshot) -> [String] {
        var differences: [String] = []
        for (key, value) in before.objects.sorted(by: { $0.key < $1.key }) {
            guard let restored = after.objects[key] else {
                differences.append("\(key) is missing")
                continue
            }
            if restored != value {
                let changes = RestoreReport.changes(from: value, to: restored).map(\.path).joined(separator: ", ")
                differences.append("\(key) differs at \(changes)")
            }
        }
        return differences
    }
}

/// The objects of a namespace, by kind and name (for showing and for comparing).
struct Inventory {
    struct Entry: Hashable {
        var kind: String
        var name: String
    }

    static func take(client: KubeClient, namespace: String) async throws -> [Entry] {
        var entries: [Entry] = []
        let discovery = try await client.discovery()
        for resource in discovery.preferredResources
        where resource.namespaced && !resource.name.contains("/")
            && resource.verbs.contains("list") && resource.name != "events"
        {
            for try await object in client.listObjects(resource.gvr, namespace: namespace) {
                entries.append(Entry(kind: resource.kind, name: object.name ?? ""))
            }
        }
        return entries.sorted { ($0.kind, $0.name) < ($1.kind, $1.name) }
    }
}
