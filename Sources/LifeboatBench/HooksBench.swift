import ArgumentParser
import BackupEngine
import Foundation
import KubeSandbox
import Kubernetes
import Logging
import ObjectStorage
import VeleroAPI

/// `lifeboat-bench hooks`: what backup hooks add to a backup (issue 21).
///
/// Starts an in-process sandbox whose containers run, with two namespaces of `--pods` running pods each: in
/// `hooks-plain` the pods have no hooks, in `hooks-exec` each pod has a pre and a post backup hook (annotations,
/// `["true"]`, as cheap as an exec gets, so the figure is the hooks' machinery: the API's WebSocket exec and the
/// engine's ordering). Each namespace is backed up by the engine with hooks on; the plain backup is the anchor.
/// Reports the time the hooks add in total and per pod, the time of one exec on its own, and from those the
/// effective concurrency (one exec's time × hooks run ÷ time added): above 1 when the hooks of different pods
/// overlap, as Velero 1.16+ runs them per item block. Checks that every hook ran and none failed.
struct HooksBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Backup hook overhead with many pods (build with -c release)."
    )

    static let deploymentsGVR = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")

    @Option(help: "Running pods in each namespace (each with a pre and a post hook in the hooked one).")
    var pods: Int = 200

    @Option(help: "Sandbox nodes.")
    var nodes: Int = 3

    @Option(help: "Backups of each namespace; the medians are reported.")
    var runs: Int = 3

    @Option(help: "Seconds to wait for the pods to run before giving up.")
    var timeout: Int = 300

    func validate() throws {
        guard pods > 0, nodes > 0, runs > 0, timeout > 0 else {
            throw ValidationError("--pods, --nodes, --runs and --timeout must be positive")
        }
    }

    func run() async throws {
        if let reason = Sandbox.containersUnavailableReason() {
            throw ValidationError("hooks need running containers, and this machine cannot run them: \(reason)")
        }
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("lifeboat-hooks-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let sandbox = try await Sandbox.start(
            SandboxConfiguration(
                port: 0,
                dataDirectory: root.appendingPathComponent("sandbox"),
                nodes: nodes,
                customResources: .velero
            )
        )
        do {
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            try await withKubeClient(config: config, configuration: .init(qps: 0), logger: logger) { client in
                try await measure(client, store: root.appendingPathComponent("bucket"), logger: logger)
            }
        } catch {
            try? await sandbox.stop()
            throw error
        }
        try await sandbox.stop()
    }

    private func measure(_ client: KubeClient, store folder: URL, logger: Logger) async throws {
        let hookAnnotations = [
            "pre.hook.backup.velero.io/container": "app", "pre.hook.backup.velero.io/command": #"["true"]"#,
            "post.hook.backup.velero.io/container": "app", "post.hook.backup.velero.io/command": #"["true"]"#,
        ]
        let started = ContinuousClock.now
        for (namespace, annotations) in [("hooks-plain", [String: String]()), ("hooks-exec", hookAnnotations)] {
            _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: namespace))
            _ = try await client.create(Self.deploymentsGVR, deployment(namespace: namespace, annotations: annotations))
        }
        try await waitForRunningPods(client, namespaces: ["hooks-plain", "hooks-exec"])
        print(
            String(
                format: "setup: 2 x %d pods running on %d nodes in %.1fs",
                pods,
                nodes,
                (ContinuousClock.now - started).inSeconds
            )
        )

        // One exec on its own, for the serial estimate.
        let somePod = try await client.list(.pods, namespace: "hooks-exec").items.first?.name ?? ""
        var execTimes: [Double] = []
        for _ in 0..<20 {
            let start = ContinuousClock.now
            let result = try await client.exec(
                namespace: "hooks-exec",
                pod: somePod,
                container: "app",
                command: ["true"]
            )
            guard result.exitCode == 0 else { throw ValidationError("exec of true exited \(result.exitCode)") }
            execTimes.append((ContinuousClock.now - start).inSeconds)
        }

        let store = BackupStore(store: try FilesystemObjectStore(root: folder.path), prefix: "bench")
        var plainTimes: [Double] = []
        var hookTimes: [Double] = []
        for run in 0..<runs {
            plainTimes.append(
                try await backUp(client, store: store, namespace: "hooks-plain", name: "plain-\(run)", hooks: 0)
            )
            hookTimes.append(
                try await backUp(client, store: store, namespace: "hooks-exec", name: "hooks-\(run)", hooks: 2 * pods)
            )
        }
        let plain = Self.median(plainTimes)
        let hooked = Self.median(hookTimes)
        let exec = Self.median(execTimes)
        let added = max(hooked - plain, 0.000_001)
        print(String(format: "backup without hooks (anchor): %.3fs for %d pods (median of %d)", plain, pods, runs))
        print(
            String(
                format: "backup with 2 hooks per pod: %.3fs -> %.2f x the anchor; hooks added %.3fs, %.1f ms per pod",
                hooked,
                hooked / plain,
                added,
                added * 1000 / Double(pods)
            )
        )
        print(
            String(
                format: "one exec alone: %.1f ms (median of 20); %d hooks serially would take %.2fs -> "
                    + "effective concurrency %.1f",
                exec * 1000,
                2 * pods,
                exec * Double(2 * pods),
                exec * Double(2 * pods) / added
            )
        )
    }

    /// Backs `namespace` up with hooks on; checks the hooks the backup counted. Returns its seconds.
    private func backUp(
        _ client: KubeClient,
        store: BackupStore,
        namespace: String,
        name: String,
        hooks expected: Int
    ) async throws -> Double {
        var backup = Backup(metadata: ObjectMeta(name: name))
        backup.spec.includedNamespaces = [namespace]
        let runner = BackupRunner(
            client: client,
            store: store,
            configuration: .init(recordInCluster: false, hooks: try BackupHooks(client: client, backup: backup)),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let start = ContinuousClock.now
        let result = try await runner.run(backup)
        let seconds = (ContinuousClock.now - start).inSeconds
        let status = result.status
        guard status?.phase == BackupPhase.completed else {
            throw ValidationError("backup \(name) ended \(status?.phase ?? "without a phase")")
        }
        let attempted = status?.hookStatus?.hooksAttempted ?? 0
        let failed = status?.hookStatus?.hooksFailed ?? 0
        guard attempted == expected, failed == 0 else {
            throw ValidationError(
                "backup \(name): \(attempted) hooks attempted, \(failed) failed; expected \(expected)"
            )
        }
        return seconds
    }

    /// A Deployment of `pods` pods whose container `app` sleeps, with `annotations` on its pods.
    private func deployment(namespace: String, annotations: [String: String]) -> KubeObject {
        var object = KubeObject(apiVersion: "apps/v1", kind: "Deployment", namespace: namespace, name: "app")
        let podAnnotations = JSONValue.object(JSONObject(uniqueKeysWithValues: annotations.map { ($0, .string($1)) }))
        object["spec"] = [
            "replicas": .int(Int64(pods)),
            "selector": ["matchLabels": ["app": "app"]],
            "template": [
                "metadata": ["labels": ["app": "app"], "annotations": podAnnotations],
                "spec": [
                    "terminationGracePeriodSeconds": 1,
                    "containers": [["name": "app", "image": "busybox:1.36", "command": ["sleep", "infinity"]]],
                ],
            ],
        ]
        return object
    }

    /// Polls until every pod of both namespaces runs.
    private func waitForRunningPods(_ client: KubeClient, namespaces: [String]) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            var running = 0
            for namespace in namespaces {
                running += try await client.list(.pods, namespace: namespace).items.filter {
                    $0.value["status"]?["phase"]?.stringValue == "Running"
                }.count
            }
            if running == pods * namespaces.count { return }
            guard ContinuousClock.now < deadline else {
                throw ValidationError("timed out after \(timeout)s waiting for pods to run (\(running) running)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
