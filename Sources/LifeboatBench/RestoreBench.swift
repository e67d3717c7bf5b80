import ArgumentParser
import BackupEngine
import Foundation
import KubeSandbox
import Kubernetes
import Logging
import ObjectStorage
import VeleroAPI

/// `lifeboat-bench restore`: restores one backup of ConfigMaps (~1 KiB), Secrets and Deployments into a
/// fresh in-process sandbox at each `--parallelism`, and prints objects/s, peak RSS and the speed-up over
/// the first (sequential) run. The target (issue 5): parallelism 16 is at least 8 x faster than 1.
///
/// Each run is repeated for every `--write-latency` of the target sandbox: at 0 the in-process sandbox answers
/// in microseconds and both sides share this machine's 2 cores, so the restore is CPU-bound; with a few
/// milliseconds per write (what a real API server spends on the etcd commit) it is latency-bound, which is
/// where parallelism pays off in a real cluster.
///
/// The backup is made once by `BackupRunner` from a source sandbox into a local folder. Peak RSS is VmHWM
/// from /proc/self/status, reset before each run (`/proc/self/clear_refs` ← 5); it includes the in-process
/// sandbox the objects are restored into.
struct RestoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore benchmark: one backup restored at several parallelisms into fresh sandboxes."
    )

    @Option(help: "ConfigMaps in the backup (~1 KiB of data each).")
    var configmaps: Int = 50_000

    @Option(help: "Secrets in the backup.")
    var secrets: Int = 5_000

    @Option(help: "Deployments in the backup.")
    var deployments: Int = 2_000

    @Option(help: "Namespaces the objects are spread over.")
    var namespaces: Int = 10

    @Option(
        help: ArgumentHelp(
            "Comma-separated restore parallelisms, `auto` for the adaptive default of `restore create`; the first "
                + "is the baseline of the speed-ups, and `auto` is also compared with the best fixed one."
        )
    )
    var parallelism: String = "1,16,64,auto"

    @Option(
        help:
            "Comma-separated write latencies of the target sandbox (Go durations); each is run at every parallelism. 0 = as fast as the process answers (CPU-bound on this machine); 5ms is a typical API-server write (etcd commit)."
    )
    var writeLatency: String = "0,5ms"

    @Option(help: "Concurrent creates while populating the source sandbox.")
    var populateConcurrency: Int = 32

    func validate() throws {
        guard configmaps >= 0, secrets >= 0, deployments >= 0, namespaces >= 1 else {
            throw ValidationError("--configmaps, --secrets, --deployments must be >= 0 and --namespaces >= 1")
        }
        guard !levels.isEmpty, levels.count == parallelism.split(separator: ",").count,
            levels.allSatisfy({ ($0 ?? 1) >= 1 })
        else {
            throw ValidationError(
                "--parallelism \(parallelism.debugDescription) must be a comma-separated list of numbers >= 1 or auto"
            )
        }
        guard !latencies.isEmpty, latencies.count == writeLatency.split(separator: ",").count else {
            throw ValidationError(
                "--write-latency \(writeLatency.debugDescription) must be a comma-separated list of durations (e.g. 0,5ms)"
            )
        }
    }

    private var latencies: [Duration] {
        writeLatency.split(separator: ",").compactMap { GoDuration.parse($0.trimmingCharacters(in: .whitespaces)) }
            .filter { $0 >= .zero }
    }

    /// The parallelisms to run; nil is `auto`.
    private var levels: [Int?] {
        parallelism.split(separator: ",").compactMap { part -> Int?? in
            let text = part.trimmingCharacters(in: .whitespaces)
            if text == "auto" { return .some(nil) }
            return Int(text).map { .some($0) }
        }
    }

    func run() async throws {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "lifeboat-restore-bench-\(UUID().uuidString)"
        )
        defer { try? FileManager.default.removeItem(at: root) }
        let store = BackupStore(store: try FilesystemObjectStore(root: root.path), prefix: nil)

        // 1. The backup, from a source sandbox that is stopped afterwards.
        let total = configmaps + secrets + deployments
        try await withBenchCluster(connections: populateConcurrency * 2, logger: logger) { client in
            let start = ContinuousClock.now
            try await BenchWorkload(
                configmaps: configmaps,
                secrets: secrets,
                deployments: deployments,
                namespaces: namespaces
            ).populate(client, concurrency: populateConcurrency, label: "restore")
            let seconds = (ContinuousClock.now - start).inSeconds
            print(
                String(
                    format: "populate: %d objects in %.1fs (%.0f creates/s)",
                    total,
                    seconds,
                    Double(total) / seconds
                )
            )
            let backupStart = ContinuousClock.now
            let runner = BackupRunner(
                client: client,
                store: store,
                configuration: .init(recordInCluster: false),
                logger: logger
            )
            let backup = try await runner.run(Backup(metadata: ObjectMeta(name: "bench")))
            guard backup.status?.phase == BackupPhase.completed else {
                throw ValidationError("the backup ended \(backup.status?.phase ?? "without a phase")")
            }
            print(
                String(
                    format: "backup: %d items in %.1fs",
                    backup.status?.progress?.itemsBackedUp ?? 0,
                    (ContinuousClock.now - backupStart).inSeconds
                )
            )
        }

        // 2. One restore per write latency and parallelism, each into a fresh sandbox.
        for (index, latency) in latencies.enumerated() {
            let milliseconds = latency.inSeconds * 1e3
            print(String(format: "target sandbox write latency %gms:", milliseconds))
            var baseline: Double?
            var bestFixed: (level: Int, rate: Double)?
            var autoRate: Double?
            for level in levels {
                let connections = level.map { max(32, $0 * 2) } ?? 256
                try await withBenchCluster(connections: connections, writeLatency: latency, logger: logger) {
                    client in
                    ProcessMemory.resetPeak()
                    let before = ProcessMemory.current().rss
                    var configuration = RestoreRunner.Configuration(parallelism: level ?? 16, recordInCluster: false)
                    configuration.adaptiveParallelism = level == nil
                    let runner = RestoreRunner(
                        client: client,
                        store: store,
                        configuration: configuration,
                        logger: logger
                    )
                    let start = ContinuousClock.now
                    let outcome = try await runner.run(
                        Restore(
                            metadata: ObjectMeta(name: "bench-l\(index)-p\(level.map(String.init) ?? "auto")"),
                            spec: RestoreSpec(backupName: "bench")
                        )
                    )
                    let seconds = (ContinuousClock.now - start).inSeconds
                    let created = outcome.report.entries.filter { $0.action == .create }.count
                    let rate = Double(created) / seconds
                    let label =
                        level.map(String.init)
                        ?? "auto (\((outcome.report.parallelism ?? []).map(String.init).joined(separator: "→")))"
                    if let level {
                        if rate > bestFixed?.rate ?? 0 { bestFixed = (level, rate) }
                    } else {
                        autoRate = rate
                    }
                    var line = String(
                        format: "  restore parallelism %@: %@, %d objects created in %.2fs -> %.0f objects/s",
                        label,
                        outcome.restore.status?.phase ?? "?",
                        created,
                        seconds,
                        rate
                    )
                    if let baseline {
                        line += String(
                            format: ", %.1f x parallelism %@",
                            rate / baseline,
                            levels[0].map(String.init) ?? "auto"
                        )
                    } else {
                        baseline = rate
                    }
                    let peak = ProcessMemory.current().hwm
                    line += String(
                        format: "; peak RSS %.0f MiB (%.0f MiB before)",
                        Double(peak) / 1024,
                        Double(before) / 1024
                    )
                    print(line)
                    if !outcome.results.errors.isEmpty {
                        print("    errors: \(outcome.results.errors.lines.prefix(5))")
                    }
                }
            }
            if let autoRate, let bestFixed {
                print(
                    String(
                        format:
                            "  auto reaches %.0f%% of the best fixed parallelism (%d) at this latency (target >= 90%%)",
                        autoRate * 100 / bestFixed.rate,
                        bestFixed.level
                    )
                )
            }
        }
    }

    private func withBenchCluster(
        connections: Int,
        writeLatency: Duration = .zero,
        logger: Logger,
        _ body: (KubeClient) async throws -> Void
    ) async throws {
        let configuration = SandboxConfiguration(
            port: 0,
            nodes: 1,
            seed: nil,
            writeLatency: writeLatency,
            customResources: .velero
        )
        try await withSandbox(configuration) { sandbox in
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            let clientConfiguration = KubeClient.Configuration(qps: 0, maxConnections: max(32, connections))
            try await withKubeClient(config: config, configuration: clientConfiguration, logger: logger) { client in
                try await body(client)
            }
        }
    }

}
