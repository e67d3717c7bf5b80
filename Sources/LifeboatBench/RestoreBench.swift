import ArgumentParser
import BackupEngine
import Foundation
import KubeSandbox
import Kubernetes
import Logging
import ObjectStorage

/// `lifeboat-bench restore`: restores one backup of ConfigMaps (~1 KiB), Secrets and Deployments into a
/// fresh in-process sandbox at each `--parallelism`, and prints objects/s, peak RSS and the speed-up over
/// the first (sequential) run. The target (issue 5): parallelism 16 is at least 8 x faster than 1.
///
/// The backup is made once by `BackupRunner` from a source sandbox into a local folder. Peak RSS is VmHWM
/// from /proc/self/status, reset before each run (`/proc/self/clear_refs` ← 5); it includes the in-process
/// sandbox the objects are restored into.
struct RestoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore benchmark: one backup restored at several parallelisms into fresh sandboxes.")

    @Option(help: "ConfigMaps in the backup (~1 KiB of data each).")
    var configmaps: Int = 50_000

    @Option(help: "Secrets in the backup.")
    var secrets: Int = 5_000

    @Option(help: "Deployments in the backup.")
    var deployments: Int = 2_000

    @Option(help: "Namespaces the objects are spread over.")
    var namespaces: Int = 10

    @Option(help: "Comma-separated restore parallelisms; the first is the baseline of the speed-ups.")
    var parallelism: String = "1,16,64"

    @Option(help: "Concurrent creates while populating the source sandbox.")
    var populateConcurrency: Int = 32

    func validate() throws {
        guard configmaps >= 0, secrets >= 0, deployments >= 0, namespaces >= 1 else {
            throw ValidationError("--configmaps, --secrets, --deployments must be >= 0 and --namespaces >= 1")
        }
        guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--parallelism \(parallelism.debugDescription) must be a comma-separated list of numbers >= 1")
        }
    }

    private var levels: [Int] { parallelism.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-restore-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = BackupStore(store: try FilesystemObjectStore(root: root.path), prefix: nil)

        // 1. The backup, from a source sandbox that is stopped afterwards.
        let total = configmaps + secrets + deployments
        try await withBenchCluster(connections: populateConcurrency * 2, logger: logger) { client in
            let start = ContinuousClock.now
            try await populate(client)
            let seconds = (ContinuousClock.now - start).restoreBenchSeconds
            print(String(format: "populate: %d objects in %.1fs (%.0f creates/s)", total, seconds, Double(total) / seconds))
            let backupStart = ContinuousClock.now
            let runner = BackupRunner(client: client, store: store, configuration: .init(recordInCluster: false), logger: logger)
            let backup = try await runner.run(Backup(metadata: ObjectMeta(name: "bench")))
            guard backup.status?.phase == BackupPhase.completed else {
                throw ValidationError("the backup ended \(backup.status?.phase ?? "without a phase")")
            }
            print(String(format: "backup: %d items in %.1fs", backup.status?.progress?.itemsBackedUp ?? 0,
                         (ContinuousClock.now - backupStart).restoreBenchSeconds))
        }

        // 2. One restore per parallelism, each into a fresh sandbox.
        var baseline: Double?
        for level in levels {
            try await withBenchCluster(connections: max(32, level * 2), logger: logger) { client in
                Self.resetPeak()
                let before = Self.memory().rss
                let configuration = RestoreRunner.Configuration(parallelism: level, recordInCluster: false)
                let runner = RestoreRunner(client: client, store: store, configuration: configuration, logger: logger)
                let start = ContinuousClock.now
                let outcome = try await runner.run(Restore(metadata: ObjectMeta(name: "bench-p\(level)"), spec: RestoreSpec(backupName: "bench")))
                let seconds = (ContinuousClock.now - start).restoreBenchSeconds
                let created = outcome.report.entries.filter { $0.action == .create }.count
                let rate = Double(created) / seconds
                var line = String(format: "restore parallelism %d: %@, %d objects created in %.2fs -> %.0f objects/s",
                                  level, outcome.restore.status?.phase ?? "?", created, seconds, rate)
                if let baseline { line += String(format: ", %.1f x parallelism %d", rate / baseline, levels[0]) } else { baseline = rate }
                let peak = Self.memory().hwm
                line += String(format: "; peak RSS %.0f MiB (%.0f MiB before)", Double(peak) / 1024, Double(before) / 1024)
                print(line)
                if !outcome.results.errors.isEmpty { print("  errors: \(outcome.results.errors.lines.prefix(5))") }
            }
        }
    }

    private func withBenchCluster(connections: Int, logger: Logger, _ body: (KubeClient) async throws -> Void) async throws {
        try await withSandbox(SandboxConfiguration(port: 0, nodes: 1, seed: nil)) { sandbox in
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            let clientConfiguration = KubeClient.Configuration(qps: 0, maxConnections: max(32, connections))
            try await withKubeClient(config: config, configuration: clientConfiguration, logger: logger) { client in
                try await body(client)
            }
        }
    }

    // MARK: - population

    static let deploymentsGVR = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")

    private func populate(_ client: KubeClient) async throws {
        for index in 0..<namespaces {
            var namespace = KubeObject(apiVersion: "v1", kind: "Namespace", name: "bench-\(index)")
            namespace.labels = ["bench": "restore"]
            _ = try await client.create(.namespaces, namespace)
        }
        let payload = String(repeating: "x", count: 1000)
        let secretValue = Data(String(repeating: "s", count: 256).utf8).base64EncodedString()
        let namespaces = self.namespaces, configmaps = self.configmaps, secrets = self.secrets
        let total = configmaps + secrets + deployments
        let workers = max(1, populateConcurrency)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var index = worker
                    while index < total {
                        let namespace = "bench-\(index % namespaces)"
                        if index < configmaps {
                            var object = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: namespace, name: "cm-\(index)")
                            object["data"] = ["payload": .string(payload)]
                            _ = try await client.create(.configMaps, object)
                        } else if index < configmaps + secrets {
                            var object = KubeObject(apiVersion: "v1", kind: "Secret", namespace: namespace, name: "secret-\(index)")
                            object["type"] = "Opaque"
                            object["data"] = ["value": .string(secretValue)]
                            _ = try await client.create(.secrets, object)
                        } else {
                            _ = try await client.create(Self.deploymentsGVR, Self.deployment("deploy-\(index)", namespace: namespace))
                        }
                        index += workers
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private static func deployment(_ name: String, namespace: String) -> KubeObject {
        var object = KubeObject(apiVersion: "apps/v1", kind: "Deployment", namespace: namespace, name: name)
        object.labels = ["app": name]
        object["spec"] = [
            "replicas": 2,
            "selector": ["matchLabels": ["app": .string(name)]],
            "template": [
                "metadata": ["labels": ["app": .string(name)]],
                "spec": ["containers": [["name": "main", "image": "registry.example.com/app:1.0", "ports": [["containerPort": 8080]]]]],
            ],
        ]
        return object
    }

    // MARK: - memory

    /// Resets VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs).
    private static func resetPeak() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }

    /// VmHWM and VmRSS in KiB from /proc/self/status.
    private static func memory() -> (hwm: Int, rss: Int) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func value(_ key: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return (value("VmHWM:"), value("VmRSS:"))
    }
}

extension Duration {
    fileprivate var restoreBenchSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
