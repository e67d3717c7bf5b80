import ArgumentParser
import Foundation
import Kubernetes
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The running stack of `lifeboat-bench fs-backup`: a sandbox with running containers, a `filesystem` backup
/// location, one node agent per node, and the three tools' steps on one pod volume per run.
struct FsBackupStack: Sendable {
    static let claims = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims")
    static let nodes = GroupVersionResource(group: "", version: "v1", resource: "nodes")
    static let storageClasses = GroupVersionResource(group: "storage.k8s.io", version: "v1", resource: "storageclasses")
    static let backups = GroupVersionResource(group: "velero.io", version: "v1", resource: "backups")
    static let restores = GroupVersionResource(group: "velero.io", version: "v1", resource: "restores")
    static let podVolumeBackups = GroupVersionResource(group: "velero.io", version: "v1", resource: "podvolumebackups")
    static let podVolumeRestores = GroupVersionResource(
        group: "velero.io",
        version: "v1",
        resource: "podvolumerestores"
    )

    let setup: FsBackupBench.Setup
    let client: KubeClient
    /// The sandbox's data folder (PV folders are `volumes/<pv>` in it).
    let sandboxData: String
    /// Variables of every `lifeboat` child: the sandbox's kubeconfig and a HOME of its own.
    let environment: [String: String]

    var bucket: String { setup.work + "/bucket" }
    var logs: String { setup.work + "/logs" }
    var passwordFile: String { setup.work + "/password" }

    /// Starts the sandbox, the location and the node agents in a fresh `setup.work`, runs `body`, then stops every
    /// process and removes the folder (unless `keepWork`), also when `body` throws or is cancelled.
    static func withStack<T: Sendable>(
        _ setup: FsBackupBench.Setup,
        keepWork: Bool,
        _ body: (FsBackupStack) async throws -> T
    ) async throws -> T {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: setup.work) {
            FsBackupBench.say("removing the leftovers of an earlier run in \(setup.work)")
            try fileManager.removeItem(atPath: setup.work)
        }
        for folder in ["bucket", "sandbox", "home", "logs", "repos", "restores"] {
            try fileManager.createDirectory(atPath: setup.work + "/" + folder, withIntermediateDirectories: true)
        }
        defer {
            if keepWork {
                FsBackupBench.say("kept \(setup.work)")
            } else {
                try? FileManager.default.removeItem(atPath: setup.work)
            }
        }
        try Data("bench-password\n".utf8).write(to: URL(fileURLWithPath: setup.work + "/password"))
        let sandbox = try SandboxChild.start(
            setup.lifeboat,
            nodes: 1,
            dataDirectory: URL(fileURLWithPath: setup.work + "/sandbox"),
            arguments: ["--share-host-path", setup.work + "/bucket"]
        )
        defer { sandbox.stop() }
        var agents: [Process] = []
        defer { for agent in agents { BenchProcesses.stop(agent) } }
        var logger = Logger(label: "lifeboat.bench.fs-backup")
        logger.logLevel = .warning
        let config = try KubeConfig.parse(yaml: try String(contentsOfFile: sandbox.kubeconfig, encoding: .utf8))
        return try await withKubeClient(config: config, logger: logger) { client in
            let stack = FsBackupStack(
                setup: setup,
                client: client,
                sandboxData: setup.work + "/sandbox",
                environment: ["KUBECONFIG": sandbox.kubeconfig, "HOME": setup.work + "/home"]
            )
            try await stack.install()
            let nodes = try await client.list(Self.nodes).items.compactMap(\.name)
            for node in nodes { agents.append(try stack.startNodeAgent(node)) }
            try await stack.waitUntil("the node agents hold their Leases", timeout: 60) {
                let held = try await client.list(.leases, namespace: "velero").items.compactMap(\.name)
                return nodes.allSatisfy { held.contains("lifeboat-node-agent-\($0)") }
            }
            return try await body(stack)
        }
    }

    /// The install namespace, the default `filesystem` location and the storage class.
    private func install() async throws {
        _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "velero"))
        try await lifeboat(
            ["backup-location", "create", "default", "--provider", "filesystem", "--bucket", bucket, "--default"],
            log: "setup"
        )
        var storageClass = KubeObject(apiVersion: "storage.k8s.io/v1", kind: "StorageClass", name: "standard")
        storageClass["provisioner"] = "sandbox.csi.lifeboat.io"
        do {
            _ = try await client.create(Self.storageClasses, storageClass)
        } catch let error as KubeError where error.code == .alreadyExists {}
    }

    /// `lifeboat node-agent server` for one sandbox node, as the end-to-end tests run it.
    private func startNodeAgent(_ node: String) throws -> Process {
        try BenchProcesses.start(
            setup.lifeboat,
            [
                "node-agent", "server", "--node-name", node, "--host-pods", "\(sandboxData)/nodes/\(node)/pods",
                "--node-pods", "/var/lib/kubelet/pods",
            ],
            env: environment,
            output: "\(logs)/node-agent-\(node).log"
        )
    }

    // MARK: - One run

    /// One run: a fresh pod volume holding the dataset, every tool's first backup, the incremental backups after
    /// `make-dataset.py mutate`, and the restores, each verified against the volume's folder.
    ///
    /// - Parameter order: the tools in the order they go at each step.
    /// - Returns: each tool's steps (first backup, incremental backup, restore).
    func measure(run: Int, order: [String]) async throws -> [String: [RepoBench.Step]] {
        let namespace = "fsb-\(run)"
        let folder = try await createVolume(namespace)
        // The other two get `init` before anything is timed; the stack's counterpart is a backup of the still empty
        // volume, which initializes the namespace's repository and makes its BackupRepository Ready.
        try await lifeboat(
            ["backup", "create", "\(namespace)-0", "--include-namespaces", namespace, "--wait"],
            log: logName("stack")
        )
        try await checkBackup("\(namespace)-0")
        try await populate(folder)
        let bytes = RepoBench.treeSize(folder)
        FsBackupBench.say(
            "run \(run + 1): \(bytes) bytes in the pod volume \(namespace)/data (\(folder)); order \(order)"
        )
        try TreeComparison.readAll(folder)
        for tool in ["restic", "lifeboat repo"] {
            try await BenchProcesses.run(
                repoCommand(tool, run: run, "init") + (tool == "restic" ? ["--repository-version", "2"] : []),
                env: environment(tool),
                output: "\(logs)/\(logName(tool)).log"
            )
        }
        var steps: [String: [RepoBench.Step]] = [:]
        for tool in order {
            let step = try await backup(tool, run: run, number: 1, folder: folder, bytes: bytes)
            steps[tool, default: []].append(step)
        }
        var last = "\(namespace)-1"
        if setup.incremental, let script = setup.script {
            try await BenchProcesses.run(
                ["/usr/bin/env", "python3", script, "mutate", "--root", folder],
                output: "\(logs)/dataset.log"
            )
            let changed = RepoBench.treeSize(folder)
            for tool in order {
                let step = try await backup(tool, run: run, number: 2, folder: folder, bytes: changed)
                steps[tool, default: []].append(step)
            }
            last = "\(namespace)-2"
        }
        let restoredBytes = RepoBench.treeSize(folder)
        for tool in order {
            let step = try await restore(tool, run: run, backup: last, folder: folder, bytes: restoredBytes)
            steps[tool, default: []].append(step)
        }
        if setup.incremental, let script = setup.script {
            // `mutate` edited some of the dataset's own files in place (the volume's files are hard links to them).
            try await BenchProcesses.run(
                ["/usr/bin/env", "python3", script, "reset", "--root", setup.data],
                output: "\(logs)/dataset.log"
            )
        }
        return steps
    }

    /// A namespace with a PVC and a Running pod that mounts it (annotated for file-system backup); returns the
    /// PV's folder.
    private func createVolume(_ namespace: String) async throws -> String {
        _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: namespace))
        var claim = KubeObject(apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: namespace, name: "data")
        claim["spec"] = [
            "accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
            "resources": ["requests": ["storage": "100Gi"]],
        ]
        _ = try await client.create(Self.claims, claim)
        var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: namespace, name: "app")
        pod.value[path: ["metadata", "annotations"]] = ["backup.velero.io/backup-volumes": "data"]
        pod["spec"] = [
            "terminationGracePeriodSeconds": 1,
            "containers": [
                [
                    "name": "app", "image": "busybox:1.36", "command": ["sleep", "infinity"],
                    "volumeMounts": [["name": "data", "mountPath": "/data"]],
                ]
            ],
            "volumes": [["name": "data", "persistentVolumeClaim": ["claimName": "data"]]],
        ]
        _ = try await client.create(.pods, pod)
        try await waitUntil("pod \(namespace)/app Running", timeout: 120) {
            try await client.get(.pods, namespace: namespace, name: "app")["status"]?["phase"] == "Running"
        }
        return try await volumeFolder(namespace: namespace)
    }

    /// The folder of the PV bound to the claim `data` in `namespace`.
    private func volumeFolder(namespace: String) async throws -> String {
        let claim = try await client.get(Self.claims, namespace: namespace, name: "data")
        guard let volume = claim["spec"]?["volumeName"]?.stringValue, !volume.isEmpty else {
            throw ValidationError("PVC \(namespace)/data is not bound: \(claim["status"]?.jsonString ?? "no status")")
        }
        return "\(sandboxData)/volumes/\(volume)"
    }

    /// Puts the dataset into `folder`: hard links (instant, no space), else a copy (another filesystem).
    private func populate(_ folder: String) async throws {
        let log = "\(logs)/populate.log"
        do {
            try await BenchProcesses.run(["/bin/cp", "-al", setup.data + "/.", folder + "/"], output: log)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            FsBackupBench.say("hard links from \(setup.data) failed (see \(log)); copying")
            try await BenchProcesses.run(["/bin/cp", "-a", "--reflink=auto", setup.data + "/.", folder + "/"])
        }
    }

    // MARK: - Steps

    /// One timed backup by `tool` of `folder` (`number` 1 is the first, 2 the incremental).
    private func backup(
        _ tool: String,
        run: Int,
        number: Int,
        folder: String,
        bytes: Int
    ) async throws
        -> RepoBench.Step
    {
        let name = number == 1 ? "first backup" : "incremental backup"
        let namespace = "fsb-\(run)"
        let backup = "\(namespace)-\(number)"
        let argv =
            tool == "stack"
            ? [setup.lifeboat, "backup", "create", backup, "--include-namespaces", namespace, "--wait"]
            : repoCommand(tool, run: run, "backup") + ["--compression", "auto", "."]
        let step = try await timed(tool, name, argv, directory: tool == "stack" ? nil : folder, bytes: bytes)
        if tool == "stack" { try await checkBackup(backup) }
        return step
    }

    /// One timed restore by `tool` of its latest snapshot (the stack: of Backup `backup` into namespace
    /// `fsb-<run>-restored`), then the restored tree compared with `folder`.
    private func restore(
        _ tool: String,
        run: Int,
        backup: String,
        folder: String,
        bytes: Int
    ) async throws
        -> RepoBench.Step
    {
        let namespace = "fsb-\(run)"
        let target = "\(setup.work)/restores/\(logName(tool))-\(run)"
        let argv =
            tool == "stack"
            ? [
                setup.lifeboat, "restore", "create", "\(namespace)-restore", "--from-backup", backup,
                "--namespace-mappings", "\(namespace):\(namespace)-restored", "--wait",
            ]
            : repoCommand(tool, run: run, "restore") + ["--target", target, "latest"]
        // Every tool restores from a repository that is not in the page cache, as a restore days after the
        // backup does: otherwise a tool whose backup wrote through the page cache would restore from memory
        // and one that wrote past it (`lifeboat`'s packs) from disk.
        let repository =
            tool == "stack" ? "\(bucket)/restic/\(namespace)" : "\(setup.work)/repos/\(logName(tool))-\(run)"
        let step = try await timed(tool, "restore", argv, directory: nil, bytes: bytes, uncached: repository)
        var restored = target
        if tool == "stack" {
            try await checkRestore("\(namespace)-restore")
            restored = try await volumeFolder(namespace: "\(namespace)-restored")
        }
        let comparison = try TreeComparison.compare(source: folder, restored: restored, ignoring: [".velero"])
        guard comparison.count == 0 else {
            throw ValidationError(
                "\(tool) restored \(restored) with \(comparison.count) differences from \(folder):\n  "
                    + comparison.differences.joined(separator: "\n  ")
            )
        }
        FsBackupBench.say(
            "  \(tool) restore verified: \(comparison.entries) entries, \(comparison.bytes) bytes identical"
        )
        return step
    }

    /// Runs one step after `sync` (so the step before does not pay for its own writes here) and prints its time.
    /// The files under `uncached` are dropped from the page cache first.
    private func timed(
        _ tool: String,
        _ name: String,
        _ argv: [String],
        directory: String?,
        bytes: Int,
        uncached: String? = nil
    )
        async throws -> RepoBench.Step
    {
        sync()
        if let uncached { RepoBench.dropFromPageCache(uncached) }
        let (environment, output, timeout) = (environment(tool), "\(logs)/\(logName(tool)).log", setup.timeout)
        let step: @Sendable () async throws -> BenchProcesses.Figures = {
            try await BenchProcesses.run(
                argv,
                env: environment,
                directory: directory,
                output: output,
                timeout: .seconds(timeout)
            )
        }
        var timeline: [String] = []
        let figures: BenchProcesses.Figures
        if tool == "stack" && setup.timeline {
            (figures, timeline) = try await StackTimeline.following(client: client) { _ in try await step() }
        } else {
            figures = try await step()
        }
        FsBackupBench.say(
            "  \(tool) \(name): "
                + String(format: "%.2f s (%.1f MB/s)", figures.seconds, Double(bytes) / figures.seconds / 1e6)
        )
        for line in timeline { FsBackupBench.say("      " + line) }
        return RepoBench.Step(
            name: name,
            seconds: figures.seconds,
            maxRSSKiB: figures.maxRSSKiB,
            bytes: bytes,
            cpuSeconds: figures.cpuSeconds
        )
    }

    /// `restic|lifeboat repo <command> --repo … --password-file …` for this run's repository.
    private func repoCommand(_ tool: String, run: Int, _ command: String) -> [String] {
        let base = tool == "restic" ? [setup.restic] : [setup.lifeboat, "repo"]
        let repository = "\(setup.work)/repos/\(logName(tool))-\(run)"
        return base + [command, "--repo", repository, "--password-file", passwordFile]
    }

    private func environment(_ tool: String) -> [String: String] {
        tool == "restic"
            ? environment.merging(["RESTIC_CACHE_DIR": setup.work + "/restic-cache"]) { _, new in new }
            : environment
    }

    private func logName(_ tool: String) -> String {
        tool.replacingOccurrences(of: " ", with: "-")
    }

    /// A `lifeboat` command to its end, with its output in `<logs>/<log>.log`.
    private func lifeboat(_ arguments: [String], log: String) async throws {
        try await BenchProcesses.run(
            [setup.lifeboat] + arguments,
            env: environment,
            output: "\(logs)/\(log).log",
            timeout: .seconds(setup.timeout)
        )
    }

    // MARK: - Checks

    /// The Backup is Completed and so is each of its PodVolumeBackups (at least one).
    private func checkBackup(_ name: String) async throws {
        let backup = try await client.get(Self.backups, namespace: "velero", name: name)
        let volumes = try await client.list(Self.podVolumeBackups, namespace: "velero").items.filter {
            $0.labels["velero.io/backup-name"] == name
        }
        let phases = volumes.map { $0["status"]?["phase"]?.stringValue ?? "New" }
        guard backup["status"]?["phase"] == "Completed", !phases.isEmpty, phases.allSatisfy({ $0 == "Completed" })
        else {
            throw ValidationError(
                "backup \(name): \(backup["status"]?.jsonString ?? "no status"); PodVolumeBackups: \(phases)"
            )
        }
        for volume in volumes { FsBackupBench.say("    " + Self.timeline(volume)) }
    }

    /// The Restore is Completed and so is each of its PodVolumeRestores (at least one): its `--wait` covered the
    /// volume data.
    private func checkRestore(_ name: String) async throws {
        let restore = try await client.get(Self.restores, namespace: "velero", name: name)
        let volumes = try await client.list(Self.podVolumeRestores, namespace: "velero").items.filter {
            $0.labels["velero.io/restore-name"] == name
        }
        let phases = volumes.map { $0["status"]?["phase"]?.stringValue ?? "New" }
        guard restore["status"]?["phase"] == "Completed", !phases.isEmpty, phases.allSatisfy({ $0 == "Completed" })
        else {
            throw ValidationError(
                "restore \(name): \(restore["status"]?.jsonString ?? "no status"); PodVolumeRestores: \(phases)"
            )
        }
        for volume in volumes { FsBackupBench.say("    " + Self.timeline(volume)) }
    }

    /// Where a PodVolumeBackup/Restore spent its time, from its API timestamps (whole seconds): created until
    /// InProgress (admission, hosting pod), then InProgress until done (the data path).
    static func timeline(_ load: KubeObject) -> String {
        func date(_ value: JSONValue?) -> Date? {
            value?.stringValue.flatMap { try? Date($0, strategy: Date.ISO8601FormatStyle()) }
        }
        let created = date(load["metadata"]?["creationTimestamp"])
        let started = date(load["status"]?["startTimestamp"])
        let completed = date(load["status"]?["completionTimestamp"])
        func span(_ from: Date?, _ to: Date?) -> String {
            guard let from, let to else { return "?" }
            return String(format: "%.0f s", to.timeIntervalSince(from))
        }
        let kind = load["kind"]?.stringValue ?? "load"
        return "\(kind) \(load.name ?? ""): created → InProgress \(span(created, started)), "
            + "InProgress → \(load["status"]?["phase"]?.stringValue ?? "?") \(span(started, completed)) "
            + "(API timestamps, whole seconds)"
    }

    /// Polls `done` every 100 ms until it holds.
    private func waitUntil(
        _ what: String,
        timeout seconds: Int,
        _ done: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !(try await done()) {
            guard ContinuousClock.now < deadline else { throw ValidationError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
