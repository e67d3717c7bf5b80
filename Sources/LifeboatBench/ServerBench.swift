import ArgumentParser
import Foundation
import KubeSandbox
import Kubernetes
import Logging
import Synchronization
import VeleroAPI

#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench server`: `lifeboat server` under load (issue 20).
///
/// An in-process sandbox holds `--backups` small namespaces (`--configmaps` ConfigMaps each) and a `filesystem`
/// location; `lifeboat server` runs as a child process. Then:
///
/// 1. **The anchor**: `--anchor-runs` backups of one namespace each, one after the other, by the CLI in direct mode
///    (`lifeboat backup create --mode direct`) — what a backup costs without a server.
/// 2. **A burst**: `--backups` Backup objects created at once (one namespace each), as GitOps or a script would.
///    Reported: the wall time until every one is Completed, backups per second, the amortised time per backup
///    against the anchor's, the time Backups spent queued and running (from a watch), and the server's CPU time and
///    peak RSS (`/proc/<pid>`).
/// 3. **Schedule ticks**: `--schedules` Schedules on `* * * * *`, over `--ticks` minute boundaries: the latency from
///    each tick to its Backup appearing, and to its Backup starting (`InProgress`; with `--concurrent-backups 1`,
///    queued behind the tick's other backups).
struct ServerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "lifeboat server: a burst of Backups and schedule tick latency (build with -c release)."
    )

    @Option(help: "Backups created at once (one small namespace each).") var backups = 500
    @Option(help: "ConfigMaps in each namespace.") var configmaps = 5
    @Option(help: "The server's --concurrent-backups.") var concurrentBackups = 1
    @Option(help: "The server's --client-qps (Velero's default 100; 0: unlimited).") var clientQps = 100.0
    @Option(help: "Direct-mode CLI backups for the anchor (median).") var anchorRuns = 5
    @Option(help: "Schedules on `* * * * *` (0: skip the tick step).") var schedules = 50
    @Option(help: "Minute boundaries the tick step waits for.") var ticks = 2
    @Option(help: "lifeboat executable (default: next to lifeboat-bench).") var lifeboat: String?
    @Option(help: "Seconds the burst may take.") var timeout = 1800

    static let backupsGVR = GroupVersionResource(group: "velero.io", version: "v1", resource: "backups")
    static let schedulesGVR = GroupVersionResource(group: "velero.io", version: "v1", resource: "schedules")

    func validate() throws {
        guard backups > 0, configmaps >= 0, concurrentBackups > 0, anchorRuns > 0, schedules >= 0, ticks > 0,
            timeout > 0
        else {
            throw ValidationError(
                "--backups, --concurrent-backups, --anchor-runs, --ticks and --timeout must be positive"
            )
        }
        guard schedules <= backups else { throw ValidationError("--schedules must not exceed --backups (namespaces)") }
    }

    func run() async throws {
        let command = self
        // Ctrl-C or SIGTERM stop the server and the sandbox before the process exits.
        try await BenchProcesses.interruptible { try await command.measure() }
    }

    private func measure() async throws {
        let binary = try BenchPaths.lifeboat(lifeboat)
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("lifeboat-server-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let sandbox = try await Sandbox.start(
            SandboxConfiguration(port: 0, dataDirectory: nil, nodes: 1, customResources: .velero)
        )
        let kubeconfig = root.appendingPathComponent("kubeconfig").path
        try sandbox.writeKubeconfig(to: kubeconfig)
        let environment = ["KUBECONFIG": kubeconfig, "HOME": root.path]
        var server: Process?
        do {
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            try await withKubeClient(config: config, configuration: .init(qps: 0), logger: logger) { client in
                try await prepare(client, bucket: root.appendingPathComponent("bucket"))
                print("lifeboat-bench server: \(backups) namespaces of \(configmaps) ConfigMaps")
                let started = try BenchProcesses.start(
                    binary,
                    [
                        "server", "--concurrent-backups", "\(concurrentBackups)", "--client-qps", "\(clientQps)",
                        "--metrics-address", "127.0.0.1:0",
                        "--log-level", ProcessInfo.processInfo.environment["LIFEBOAT_BENCH_SERVER_LOG"] ?? "warning",
                    ],
                    env: environment,
                    output: root.appendingPathComponent("server.log").path
                )
                server = started
                try await Self.waitUntil("the server leads", timeout: .seconds(60)) {
                    let lease = try? await client.get(.leases, namespace: "velero", name: "lifeboat-server")
                    return lease?["spec"]?["holderIdentity"]?.stringValue?.isEmpty == false
                }
                let anchor = try await anchorSeconds(binary: binary, environment: environment)
                try await burst(client, server: started, anchor: anchor, logger: logger)
                fflush(nil)
                if schedules > 0 { try await scheduleTicks(client, logger: logger) }
            }
        } catch {
            if let server { BenchProcesses.stop(server) }
            try? await sandbox.stop()
            throw error
        }
        if let server { BenchProcesses.stop(server) }
        try await sandbox.stop()
    }

    /// The install namespace, a `filesystem` location, and the namespaces `bench-<i>` with their ConfigMaps.
    private func prepare(_ client: KubeClient, bucket: URL) async throws {
        try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
        _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "velero"))
        var location = KubeObject(
            apiVersion: "velero.io/v1",
            kind: "BackupStorageLocation",
            namespace: "velero",
            name: "default"
        )
        location["spec"] = [
            "provider": "filesystem", "objectStorage": ["bucket": .string(bucket.path)], "default": true,
        ]
        _ = try await client.create(BackupStorageLocation.resource, location)
        let workload = BenchWorkload(configmaps: backups * configmaps, secrets: 0, deployments: 0, namespaces: backups)
        try await workload.populate(client, concurrency: 16, label: "server")
    }

    /// The median wall time of a direct-mode `lifeboat backup create` of one namespace.
    private func anchorSeconds(binary: String, environment: [String: String]) async throws -> Double {
        var seconds: [Double] = []
        for run in 0..<anchorRuns {
            let figures = try await BenchProcesses.run(
                [
                    binary, "backup", "create", "anchor-\(run)", "--include-namespaces", "bench-\(run % backups)",
                    "--mode", "direct",
                ],
                env: environment,
                output: FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-anchor.log").path,
                timeout: .seconds(300)
            )
            seconds.append(figures.seconds)
        }
        return HooksBench.median(seconds)
    }

    /// Creates every Backup at once and follows them to their end.
    private func burst(_ client: KubeClient, server: Process, anchor: Double, logger: Logger) async throws {
        let names = (0..<backups).map { "burst-\($0)" }
        try await Self.watchingBackups(client, logger: logger) { watch in
            let cpuBefore = ServerProcess.cpuSeconds(server.processIdentifier)
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { creators in
                for (index, name) in names.enumerated() {
                    creators.addTask {
                        var backup = KubeObject(
                            apiVersion: "velero.io/v1",
                            kind: "Backup",
                            namespace: "velero",
                            name: name
                        )
                        backup["spec"] = ["includedNamespaces": [.string("bench-\(index)")]]
                        _ = try await client.create(Self.backupsGVR, backup)
                    }
                    if index % 32 == 31 { try await creators.next() }
                }
                try await creators.waitForAll()
            }
            let created = ContinuousClock.now - start
            try await Self.waitUntil("every Backup ended", timeout: .seconds(timeout)) {
                watch.ended(names) == names.count
            }
            let wall = (ContinuousClock.now - start).inSeconds
            let cpu = ServerProcess.cpuSeconds(server.processIdentifier) - cpuBefore
            let completed = watch.count(names, phase: "Completed")
            let queued = watch.durations(names, from: "", to: "InProgress")
            let running = watch.durations(names, from: "InProgress", to: nil)
            let perBackup = wall / Double(backups)
            print("")
            print(
                "burst: \(backups) Backups created at once (in \(Self.format(created.inSeconds)) s), "
                    + "--concurrent-backups \(concurrentBackups), --client-qps \(Self.format(clientQps))"
            )
            print("  every one ended after       \(Self.format(wall)) s (\(completed) Completed)")
            print("  throughput                  \(Self.format(Double(backups) / wall)) backups/s")
            print("  per backup (amortised)      \(Self.format(perBackup * 1000)) ms")
            print("  anchor: direct-mode CLI     \(Self.format(anchor * 1000)) ms per backup (median of \(anchorRuns))")
            print(
                "  server / anchor             \(Self.format(perBackup / anchor)) (below 1: the server is faster per backup)"
            )
            print(
                "  waiting (create→InProgress) p50 \(Self.format(Self.percentile(queued, 0.5))) s, max \(Self.format(queued.max() ?? 0)) s"
            )
            print(
                "  running (InProgress→end)    p50 \(Self.format(Self.percentile(running, 0.5) * 1000)) ms, p95 \(Self.format(Self.percentile(running, 0.95) * 1000)) ms"
            )
            print(
                "  server CPU                  \(Self.format(cpu)) s (\(Self.format(cpu / wall * 100)) % of one core), \(Self.format(cpu / Double(backups) * 1000)) ms per backup"
            )
            print(
                "  server peak RSS             \(ProcessMemory.current(process: "\(server.processIdentifier)").hwm / 1024) MiB"
            )
        }
    }

    /// `--schedules` Schedules on every minute; the latency from each tick to its Backup.
    private func scheduleTicks(_ client: KubeClient, logger: Logger) async throws {
        try await Self.watchingBackups(client, logger: logger) { watch in
            for index in 0..<schedules {
                var schedule = KubeObject(
                    apiVersion: "velero.io/v1",
                    kind: "Schedule",
                    namespace: "velero",
                    name: "tick-\(index)"
                )
                schedule["spec"] = [
                    "schedule": "* * * * *", "template": ["includedNamespaces": [.string("bench-\(index)")]],
                ]
                _ = try await client.create(Self.schedulesGVR, schedule)
            }
            let expected = schedules * ticks
            print("")
            print("schedule ticks: \(schedules) Schedules on `* * * * *`, waiting for \(ticks) minute boundaries")
            try await Self.waitUntil(
                "\(expected) scheduled Backups ended",
                timeout: .seconds(60 * (ticks + 2) + timeout)
            ) {
                watch.scheduled().filter { watch.ended([$0]) == 1 }.count >= expected
            }
            let samples = watch.scheduled().prefix(expected)
            var toCreate: [Double] = []
            var toStart: [Double] = []
            for name in samples {
                guard let created = watch.wallTime(name, phase: ""), let tick = Self.tick(of: name) else { continue }
                toCreate.append(created.timeIntervalSince(tick))
                if let started = watch.wallTime(name, phase: "InProgress") {
                    toStart.append(started.timeIntervalSince(tick))
                }
            }
            print(
                "  tick → Backup created       p50 \(Self.format(Self.percentile(toCreate, 0.5) * 1000)) ms, p95 \(Self.format(Self.percentile(toCreate, 0.95) * 1000)) ms, max \(Self.format((toCreate.max() ?? 0) * 1000)) ms (\(toCreate.count) backups)"
            )
            print(
                "  tick → Backup InProgress    p50 \(Self.format(Self.percentile(toStart, 0.5))) s, p95 \(Self.format(Self.percentile(toStart, 0.95))) s, max \(Self.format(toStart.max() ?? 0)) s"
            )
        }
    }

    /// Runs `body` while a watch records the phases of the install namespace's Backups (from its first list on).
    static func watchingBackups(
        _ client: KubeClient,
        logger: Logger,
        _ body: (PhaseWatch) async throws -> Void
    ) async throws {
        let watch = PhaseWatch()
        let informer = Informer(
            client: client,
            configuration: .init(resource: backupsGVR, namespace: "velero"),
            clock: ContinuousClock(),
            logger: logger
        )
        informer.addHandler { watch.record($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await informer.run() }
            defer { group.cancelAll() }
            try await informer.waitUntilSynced()
            try await body(watch)
        }
    }

    /// The tick a scheduled Backup is for: its name's `yyyyMMddHHmmss` suffix (UTC).
    static func tick(of name: String) -> Date? {
        guard name.count > 14 else { return nil }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMddHHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.date(from: String(name.suffix(14)))
    }

    static func waitUntil(_ what: String, timeout: Duration, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("timed out after \(timeout) waiting for \(what)")
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }

    /// The phases each Backup went through and when (wall clock and monotonic), from an informer.
    final class PhaseWatch: Sendable {
        struct Seen {
            var phase: String
            var at: ContinuousClock.Instant
            var wall: Date
        }

        let seen = Mutex<[String: [Seen]]>([:])

        func record(_ event: InformerEvent) {
            guard case .deleted = event else {
                guard let name = event.object.name else { return }
                let phase = event.object["status"]?["phase"]?.stringValue ?? ""
                let now = (ContinuousClock.now, Date())
                seen.withLock { seen in
                    if seen[name]?.last?.phase != phase {
                        seen[name, default: []].append(Seen(phase: phase, at: now.0, wall: now.1))
                    }
                }
                return
            }
        }

        static let ends: Set<String> = ["Completed", "PartiallyFailed", "Failed", "FailedValidation"]

        func ended(_ names: [String]) -> Int {
            seen.withLock { seen in names.filter { seen[$0]?.contains { Self.ends.contains($0.phase) } == true }.count }
        }

        func count(_ names: [String], phase: String) -> Int {
            seen.withLock { seen in names.filter { seen[$0]?.last?.phase == phase }.count }
        }

        /// Seconds from the first sighting in `from` (the creation for "") to the first in `to` (nil: the end).
        func durations(_ names: [String], from: String, to: String?) -> [Double] {
            seen.withLock { seen in
                names.compactMap { name in
                    guard let history = seen[name],
                        let begin = from.isEmpty ? history.first : history.first(where: { $0.phase == from }),
                        let end = history.first(where: { entry in
                            to.map { entry.phase == $0 } ?? Self.ends.contains(entry.phase)
                        })
                    else { return nil }
                    return (end.at - begin.at).inSeconds
                }
            }
        }

        /// The wall time `name` was first seen in `phase` ("" : first seen at all).
        func wallTime(_ name: String, phase: String) -> Date? {
            seen.withLock { seen in
                phase.isEmpty ? seen[name]?.first?.wall : seen[name]?.first { $0.phase == phase }?.wall
            }
        }

        /// The Backups Schedules made (`tick-<i>-<timestamp>`), oldest tick first.
        func scheduled() -> [String] {
            seen.withLock { seen in seen.keys.filter { $0.hasPrefix("tick-") }.sorted { $0.suffix(14) < $1.suffix(14) }
            }
        }
    }
}

/// CPU and memory of a child process, from `/proc/<pid>`.
enum ServerProcess {
    /// User and system CPU seconds so far.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        // After the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

}
