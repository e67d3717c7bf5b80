import ArgumentParser
import Foundation
import Kubernetes
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench scale`: backup, dry run and restore of the backup benchmark's object mix at growing sizes
/// (issue 24), each through the `lifeboat` CLI as a child process (`--client-qps 0`, as the floor has no limiter)
/// against `lifeboat sandbox serve` (also a child; state in memory, or in its fsync'd write-ahead log with
/// `--persist`), so the two processes' peak RSS are measured apart.
///
/// For each size: populate (ConfigMaps, Secrets, Deployments in the 50:5:2 mix, over `--namespaces`), the LIST
/// floor (a bare paginated LIST of the same objects through the bench's own client, limit 500), `backup create`,
/// `restore create --dry-run`, and `restore create` into mapped namespaces; wall time, objects/s, the Lifeboat
/// process's peak RSS (wait4), the sandbox's VmHWM and the tarball's size. Targets: backup ≤ 1.3 × the floor at
/// every size; restore objects/s at the largest size within 20 % of the smallest; Lifeboat's peak RSS ≤ 200 MiB
/// for backup and ≤ 300 MiB for restore.
struct ScaleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Backup, dry run and restore at growing object counts: time, objects/s, peak RSS (release build)."
    )

    @Option(help: "Object counts, comma-separated.") var sizes: String = "100000,300000,1000000"
    @Option(help: "Namespaces the objects are spread over.") var namespaces: Int = 200
    @Option(help: "Concurrent creates while populating.") var concurrency: Int = 32
    @Option(help: "Working folder (sandbox log, bucket, logs); removed at the end.")
    var work = "/tmp/lifeboat-bench/scale"
    @Option(help: "lifeboat executable (default: next to lifeboat-bench).") var lifeboat: String?
    @Option(help: "Seconds each step may take.") var timeout: Int = 3600
    @Flag(help: "Run the sandbox with --data-dir (its fsync'd write-ahead log); default: state in memory.")
    var persist = false

    struct Row {
        var objects: Int
        var floor: Double
        var backup: BenchProcesses.Figures
        var dryRun: BenchProcesses.Figures
        var restore: BenchProcesses.Figures
        var sandboxPeakKiB: Int
        var tarballBytes: Int
    }

    func validate() throws {
        guard !parsedSizes.isEmpty, parsedSizes.allSatisfy({ $0 >= 57 }) else {
            throw ValidationError("--sizes \(sizes.debugDescription): give counts of at least 57, comma-separated")
        }
        guard namespaces > 0, concurrency > 0, timeout > 0 else {
            throw ValidationError("--namespaces, --concurrency and --timeout must be positive")
        }
    }

    var parsedSizes: [Int] {
        sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    func run() async throws {
        let executable = try BenchPaths.lifeboat(lifeboat)
        let bench = self
        // SIGINT or SIGTERM cancels the run: the step's child, then the sandbox are stopped and the folder removed.
        try await BenchProcesses.interruptible {
            var rows: [Row] = []
            for size in bench.parsedSizes {
                rows.append(try await bench.measure(size, lifeboat: executable))
                print(Self.table(rows))
                fflush(nil)
            }
            Self.verdicts(rows)
        }
    }

    private func measure(_ size: Int, lifeboat: String) async throws -> Row {
        let folder = work + "/\(size)"
        let manager = FileManager.default
        if manager.fileExists(atPath: folder) { try manager.removeItem(atPath: folder) }
        for sub in ["sandbox", "bucket", "home", "logs"] {
            try manager.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        defer { try? manager.removeItem(atPath: folder) }
        let sandbox = try SandboxChild.start(
            lifeboat,
            nodes: 1,
            dataDirectory: persist ? URL(fileURLWithPath: folder + "/sandbox") : nil
        )
        defer { sandbox.stop() }
        var logger = Logger(label: "lifeboat.bench.scale")
        logger.logLevel = .warning
        let config = try KubeConfig.parse(yaml: try String(contentsOfFile: sandbox.kubeconfig, encoding: .utf8))
        let environment = ["KUBECONFIG": sandbox.kubeconfig, "HOME": folder + "/home"]
        let timeout = Duration.seconds(self.timeout)
        func lifeboatStep(_ name: String, _ arguments: [String]) async throws -> BenchProcesses.Figures {
            sync()
            // No client-side rate limit, as for the LIST floor: the figures are Lifeboat's, not the limiter's.
            let figures = try await BenchProcesses.run(
                [lifeboat] + arguments + ["--client-qps", "0"],
                env: environment,
                output: folder + "/logs/\(name).log",
                timeout: timeout
            )
            print(
                String(
                    format: "  %d objects, %@: %.1f s (%.0f objects/s), peak RSS %.0f MiB",
                    size,
                    name,
                    figures.seconds,
                    Double(size) / figures.seconds,
                    Double(figures.maxRSSKiB) / 1024
                )
            )
            fflush(nil)  // each line as it comes, also when stdout is a file (a long run is followed with tail)
            return figures
        }
        return try await withKubeClient(
            config: config,
            configuration: .init(qps: 0, maxConnections: 64),
            logger: logger
        ) {
            client in
            _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "velero"))
            _ = try await lifeboatStep(
                "location",
                ["backup-location", "create", "default", "--provider", "filesystem", "--bucket", folder + "/bucket"]
                    + ["--default"]
            )
            let secrets = size * 5 / 57
            let deployments = size * 2 / 57
            let workload = BenchWorkload(
                configmaps: size - secrets - deployments,
                secrets: secrets,
                deployments: deployments,
                namespaces: namespaces
            )
            let populateStart = ContinuousClock.now
            try await workload.populate(client, concurrency: concurrency, label: "scale")
            print(
                String(
                    format: "  %d objects populated in %.1f s over %d namespaces",
                    size,
                    (ContinuousClock.now - populateStart).inSeconds,
                    namespaces
                )
            )

            let floorStart = ContinuousClock.now
            var listed = 0
            for gvr in [GroupVersionResource.configMaps, .secrets, BenchWorkload.deploymentsGVR] {
                for try await page in client.listPages(gvr, options: ListOptions(limit: 500)) {
                    listed += page.items.count
                }
            }
            let floor = (ContinuousClock.now - floorStart).inSeconds
            guard listed >= size else { throw ValidationError("the LIST floor saw \(listed) of \(size) objects") }
            print(String(format: "  %d objects, LIST floor: %.1f s", size, floor))

            let backup = try await lifeboatStep(
                "backup",
                // The whole cluster: one LIST per resource type, as the floor (a namespace filter lists per namespace).
                ["backup", "create", "scale"]
            )
            let tarball = RepoBench.treeSize(folder + "/bucket")
            let dryRun = try await lifeboatStep(
                "dry-run",
                ["restore", "create", "preview", "--from-backup", "scale", "--dry-run"]
            )
            let mappings = (0..<namespaces).map { "bench-\($0):copy-\($0)" }.joined(separator: ",")
            let restore = try await lifeboatStep(
                "restore",
                ["restore", "create", "copy", "--from-backup", "scale", "--namespace-mappings", mappings]
            )
            var restored = 0
            for gvr in [GroupVersionResource.configMaps, .secrets, BenchWorkload.deploymentsGVR] {
                for try await page in client.listPages(gvr, options: ListOptions(limit: 500)) {
                    restored += page.items.filter { $0.namespace?.hasPrefix("copy-") == true }.count
                }
            }
            // Each namespace also gets its `kube-root-ca.crt` ConfigMap from the sandbox, restored or not.
            guard restored >= size else {
                throw ValidationError("the restore created \(restored) of \(size) objects (see \(folder)/logs)")
            }
            return Row(
                objects: size,
                floor: floor,
                backup: backup,
                dryRun: dryRun,
                restore: restore,
                sandboxPeakKiB: Self.peakKiB(sandbox.pid),
                tarballBytes: tarball
            )
        }
    }

    /// VmHWM of a running process, in KiB.
    static func peakKiB(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    static func table(_ rows: [Row]) -> String {
        var lines = [
            "objects | LIST floor s | backup s (x floor) | backup obj/s | backup RSS MiB | dry run s | dry run RSS MiB"
                + " | restore s | restore obj/s | restore RSS MiB | sandbox peak MiB | tarball MB",
            "---|---|---|---|---|---|---|---|---|---|---|---",
        ]
        for row in rows {
            let n = Double(row.objects)
            lines.append(
                String(
                    format: "%d | %.1f | %.1f (%.2f) | %.0f | %.0f | %.1f | %.0f | %.1f | %.0f | %.0f | %.0f | %.1f",
                    row.objects,
                    row.floor,
                    row.backup.seconds,
                    row.backup.seconds / max(row.floor, 0.001),
                    n / row.backup.seconds,
                    Double(row.backup.maxRSSKiB) / 1024,
                    row.dryRun.seconds,
                    Double(row.dryRun.maxRSSKiB) / 1024,
                    row.restore.seconds,
                    n / row.restore.seconds,
                    Double(row.restore.maxRSSKiB) / 1024,
                    Double(row.sandboxPeakKiB) / 1024,
                    Double(row.tarballBytes) / 1e6
                )
            )
        }
        return lines.joined(separator: "\n")
    }

    /// The issue's targets, each met or missed.
    static func verdicts(_ rows: [Row]) {
        guard let first = rows.first, let last = rows.last else { return }
        func say(_ what: String, _ met: Bool) { print("\(what): \(met ? "met" : "MISSED")") }
        for row in rows {
            say(
                String(
                    format: "backup <= 1.3 x the LIST floor at %d (%.2f)",
                    row.objects,
                    row.backup.seconds / row.floor
                ),
                row.backup.seconds <= 1.3 * row.floor
            )
            say(
                String(
                    format: "backup peak RSS <= 200 MiB at %d (%.0f)",
                    row.objects,
                    Double(row.backup.maxRSSKiB) / 1024
                ),
                row.backup.maxRSSKiB <= 200 * 1024
            )
            say(
                String(
                    format: "restore peak RSS <= 300 MiB at %d (%.0f)",
                    row.objects,
                    Double(row.restore.maxRSSKiB) / 1024
                ),
                row.restore.maxRSSKiB <= 300 * 1024
            )
        }
        if rows.count > 1 {
            let rate = { (row: Row) in Double(row.objects) / row.restore.seconds }
            say(
                String(
                    format: "restore objects/s at %d within 20 %% of %d (%.0f vs %.0f)",
                    last.objects,
                    first.objects,
                    rate(last),
                    rate(first)
                ),
                rate(last) >= 0.8 * rate(first)
            )
        }
    }
}
