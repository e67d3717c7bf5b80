import ArgumentParser
import Foundation
import KubeSandbox
import Kubernetes
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench sandbox-scale`: whether the sandbox holds many small objects (issue 24, item 3). For each
/// size, a fresh in-process sandbox with its write-ahead log on disk (in `--work`) gets N small ConfigMaps over
/// `--namespaces`, created through the client over HTTPS, and the bench reports:
///
/// - the create rate over the first and the last 10 % of the creates (a collapse as the store grows shows here);
/// - resident memory per object: the process's RSS after the creates minus before, over N (the client's share
///   is transient; run one size per process for a clean figure, as freed memory is reused);
/// - a full paginated LIST (limit 500, as the backup lists) while one writer keeps creating, in objects/s;
/// - a WATCH from a resourceVersion: `--watch-events` creates, then a watch from before them, events/s;
/// - the longest write pause during a forced compaction of the log: a writer creates one object at a time and
///   times each create while the log is rewritten (and, for reference, the longest create before it).
///
/// Targets: LIST, WATCH and the last 10 % create rate at the largest size within 20 % of the smallest; the longest
/// write pause during compaction ≤ 1 s at every size.
struct SandboxScaleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox-scale",
        abstract: "Sandbox create, LIST and WATCH rates, memory per object and compaction pauses at growing sizes."
    )

    @Option(help: "Object counts, comma-separated.") var sizes: String = "20000,100000"
    @Option(help: "Namespaces the ConfigMaps are spread over.") var namespaces: Int = 200
    @Option(help: "Concurrent creates while populating.") var concurrency: Int = 32
    @Option(help: "Objects created and then watched from before them (at most the watch history, 20,000).")
    var watchEvents: Int = 10_000
    @Option(help: "Working folder (the sandbox's data directory per size); removed at the end.")
    var work = "/tmp/lifeboat-bench/sandbox-scale"

    struct Row {
        var objects: Int
        var bodyBytes: Double
        var createFirst: Double
        var createLast: Double
        var populateMaxPause: Double
        var bytesPerObject: Double
        var list: Double
        var watch: Double
        var compactionSeconds: Double
        var pauseBefore: Double
        var pauseDuring: Double
        var logMB: Double
    }

    func validate() throws {
        guard !parsedSizes.isEmpty, parsedSizes.allSatisfy({ $0 >= 1000 }) else {
            throw ValidationError("--sizes \(sizes.debugDescription): give counts of at least 1000, comma-separated")
        }
        guard namespaces > 0, concurrency > 0, (1...20_000).contains(watchEvents) else {
            throw ValidationError("--namespaces and --concurrency must be positive, --watch-events 1...20000")
        }
    }

    var parsedSizes: [Int] {
        sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    func run() async throws {
        let bench = self
        // SIGINT or SIGTERM cancels the run: the sandbox is stopped and its folder removed.
        try await BenchProcesses.interruptible {
            var rows: [Row] = []
            for size in bench.parsedSizes {
                rows.append(try await bench.measure(size))
                print(Self.table(rows))
                fflush(nil)
            }
            Self.verdicts(rows)
            fflush(nil)
        }
    }

    private func say(_ text: String) {
        print(text)
        fflush(nil)  // each line as it comes, also when stdout is a file (a long run is followed with tail)
    }

    private func measure(_ size: Int) async throws -> Row {
        let folder = work + "/\(size)"
        let manager = FileManager.default
        if manager.fileExists(atPath: folder) { try manager.removeItem(atPath: folder) }
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? manager.removeItem(atPath: folder) }
        let configuration = SandboxConfiguration(port: 0, dataDirectory: URL(fileURLWithPath: folder), nodes: 1)
        return try await withSandbox(configuration) { sandbox in
            var logger = Logger(label: "lifeboat.bench.sandbox-scale")
            logger.logLevel = .warning
            let config = try KubeConfig.parse(yaml: sandbox.kubeconfigYAML)
            return try await withKubeClient(
                config: config,
                configuration: .init(qps: 0, maxConnections: 64),
                logger: logger
            ) { client in
                try await measure(size, sandbox: sandbox, client: client, folder: folder)
            }
        }
    }

    private func measure(_ size: Int, sandbox: Sandbox, client: KubeClient, folder: String) async throws -> Row {
        for index in 0..<namespaces {
            _ = try await client.create(
                .namespaces,
                KubeObject(apiVersion: "v1", kind: "Namespace", name: "ns-\(index)")
            )
        }
        // One warm-up create per namespace's first object is part of the run; the baseline is taken now.
        let rssBefore = ProcessMemory.current().rss

        // 1. Creates: the first and the last 10 %, and the longest single create.
        let marks = Shared<(done: Int, firstTenth: ContinuousClock.Instant?, lastTenthStart: ContinuousClock.Instant?)>(
            (0, nil, nil)
        )
        let longest = Shared<Duration>(.zero)
        let tenth = max(size / 10, 1)
        let started = ContinuousClock.now
        let workers = concurrency
        let namespaces = self.namespaces
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var index = worker
                    while index < size {
                        let before = ContinuousClock.now
                        _ = try await client.create(.configMaps, Self.configMap(index, namespaces: namespaces))
                        let now = ContinuousClock.now
                        longest.withLock { $0 = max($0, now - before) }
                        marks.withLock { marks in
                            marks.done += 1
                            if marks.done == tenth { marks.firstTenth = now }
                            if marks.done == size - tenth { marks.lastTenthStart = now }
                        }
                        index += workers
                    }
                }
            }
            try await group.waitForAll()
        }
        let ended = ContinuousClock.now
        let (firstTenth, lastTenthStart) = marks.withLock { ($0.firstTenth ?? ended, $0.lastTenthStart ?? started) }
        let createFirst = Double(tenth) / max((firstTenth - started).inSeconds, 1e-6)
        let createLast = Double(tenth) / max((ended - lastTenthStart).inSeconds, 1e-6)
        let rssAfter = ProcessMemory.current().rss
        let stored = sandbox.storedObjects()
        let bytesPerObject = Double(rssAfter - rssBefore) * 1024 / Double(size)
        let bodyBytes = Double(stored.bodyBytes) / Double(max(stored.count, 1))
        say(
            String(
                format: "  %d: created in %.1f s; first 10 %% %.0f/s, last 10 %% %.0f/s; longest create %.3f s;"
                    + " RSS %.0f -> %.0f MiB, %.0f B per object (bodies %.0f B on average)",
                size,
                (ended - started).inSeconds,
                createFirst,
                createLast,
                longest.withLock { $0 }.inSeconds,
                Double(rssBefore) / 1024,
                Double(rssAfter) / 1024,
                bytesPerObject,
                bodyBytes
            )
        )

        // 2. A full paginated LIST while one writer keeps creating (writes interleaved with the pages).
        let listing = Shared<Bool>(true)
        let (listed, listSeconds) = try await withThrowingTaskGroup(of: (Int, Double)?.self) { group in
            group.addTask {
                var index = size
                while listing.withLock({ $0 }) {
                    _ = try await client.create(.configMaps, Self.configMap(index, namespaces: namespaces, prefix: "w"))
                    index += 1
                }
                return nil
            }
            group.addTask {
                defer { listing.withLock { $0 = false } }
                let start = ContinuousClock.now
                var count = 0
                for try await page in client.listPages(.configMaps, options: ListOptions(limit: 500)) {
                    count += page.items.count
                }
                return (count, (ContinuousClock.now - start).inSeconds)
            }
            var result: (Int, Double) = (0, 0)
            for try await value in group { if let value { result = value } }
            return result
        }
        guard listed >= size else { throw ValidationError("the LIST saw \(listed) of \(size) ConfigMaps") }
        let list = Double(listed) / listSeconds
        say(
            String(
                format: "  %d: LIST (limit 500, one writer) %d objects in %.1f s, %.0f objects/s",
                size,
                listed,
                listSeconds,
                list
            )
        )

        // 3. WATCH from a resourceVersion: create, then replay the creates to a watcher.
        let from = try await client.listPages(.configMaps, namespace: "ns-0", options: ListOptions(limit: 1))
            .first { _ in true }?.resourceVersion
        let watchEvents = self.watchEvents
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var index = worker
                    while index < watchEvents {
                        _ = try await client.create(
                            .configMaps,
                            Self.configMap(index, namespaces: namespaces, prefix: "v")
                        )
                        index += workers
                    }
                }
            }
            try await group.waitForAll()
        }
        let watchStart = ContinuousClock.now
        var seen = 0
        for try await event in client.watch(
            .configMaps,
            options: WatchOptions(resourceVersion: from, allowBookmarks: false, relistOnExpired: false)
        ) where event.type == .added && event.object.name?.hasPrefix("v-") == true {
            seen += 1
            if seen == watchEvents { break }
        }
        let watch = Double(seen) / (ContinuousClock.now - watchStart).inSeconds
        say(String(format: "  %d: WATCH from a resourceVersion: %d events, %.0f events/s", size, seen, watch))

        // 4. A forced compaction while a writer times each create.
        let phase = Shared<Int>(0)  // 0 before the compaction, 1 during it, 2 after it
        let pauses = Shared<(before: Duration, during: Duration, writes: Int)>((.zero, .zero, 0))
        let compactionSeconds = try await withThrowingTaskGroup(of: Double?.self) { group in
            group.addTask {
                var index = 0
                while phase.withLock({ $0 }) < 2 {
                    let current = phase.withLock { $0 }
                    let before = ContinuousClock.now
                    _ = try await client.create(.configMaps, Self.configMap(index, namespaces: namespaces, prefix: "p"))
                    let took = ContinuousClock.now - before
                    pauses.withLock { pauses in
                        if current == 0 { pauses.before = max(pauses.before, took) }
                        if current == 1 || phase.withLock({ $0 }) == 1 {
                            pauses.during = max(pauses.during, took)
                        }
                        pauses.writes += 1
                    }
                    index += 1
                }
                return nil
            }
            group.addTask {
                // Two seconds of writes without a compaction first, for reference.
                try await Task.sleep(for: .seconds(2))
                phase.withLock { $0 = 1 }
                let start = ContinuousClock.now
                defer { phase.withLock { $0 = 2 } }
                guard try await sandbox.compactLog() else { throw ValidationError("the sandbox has no log") }
                return (ContinuousClock.now - start).inSeconds
            }
            var seconds = 0.0
            for try await value in group { if let value { seconds = value } }
            return seconds
        }
        let (pauseBefore, pauseDuring, writes) = pauses.withLock {
            ($0.before.inSeconds, $0.during.inSeconds, $0.writes)
        }
        let logBytes = Self.fileSize(folder + "/objects.log")
        say(
            String(
                format: "  %d: compaction %.1f s (log now %.0f MB); %d timed creates, longest %.3f s during it,"
                    + " %.3f s before it",
                size,
                compactionSeconds,
                Double(logBytes) / 1e6,
                writes,
                pauseDuring,
                pauseBefore
            )
        )
        return Row(
            objects: size,
            bodyBytes: bodyBytes,
            createFirst: createFirst,
            createLast: createLast,
            populateMaxPause: longest.withLock { $0 }.inSeconds,
            bytesPerObject: bytesPerObject,
            list: list,
            watch: watch,
            compactionSeconds: compactionSeconds,
            pauseBefore: pauseBefore,
            pauseDuring: pauseDuring,
            logMB: Double(logBytes) / 1e6
        )
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// A small ConfigMap (about 300 bytes stored) in namespace `index % namespaces`.
    static func configMap(_ index: Int, namespaces: Int, prefix: String = "cm") -> KubeObject {
        var object = KubeObject(
            apiVersion: "v1",
            kind: "ConfigMap",
            namespace: "ns-\(index % namespaces)",
            name: "\(prefix)-\(index)"
        )
        object.labels = ["app": "scale"]
        object["data"] = ["key": .string("value-\(index)"), "mode": "small"]
        return object
    }

    static func table(_ rows: [Row]) -> String {
        var lines = [
            "objects | body B | create/s first 10% | create/s last 10% | longest create s | RSS B/object"
                + " | LIST obj/s | WATCH ev/s | compaction s | log MB | longest write s before | during compaction",
            "---|---|---|---|---|---|---|---|---|---|---|---",
        ]
        for row in rows {
            lines.append(
                String(
                    format: "%d | %.0f | %.0f | %.0f | %.3f | %.0f | %.0f | %.0f | %.1f | %.0f | %.3f | %.3f",
                    row.objects,
                    row.bodyBytes,
                    row.createFirst,
                    row.createLast,
                    row.populateMaxPause,
                    row.bytesPerObject,
                    row.list,
                    row.watch,
                    row.compactionSeconds,
                    row.logMB,
                    row.pauseBefore,
                    row.pauseDuring
                )
            )
        }
        return lines.joined(separator: "\n")
    }

    /// The issue's targets, each met or missed.
    static func verdicts(_ rows: [Row]) {
        guard let first = rows.first, let last = rows.last else { return }
        func say(_ what: String, _ met: Bool) { print("\(what): \(met ? "met" : "MISSED")") }
        if rows.count > 1 {
            for (name, rate) in [
                ("create/s (last 10 %)", \Row.createLast), ("LIST objects/s", \Row.list),
                ("WATCH events/s", \Row.watch),
            ] {
                let ratio = last[keyPath: rate] / first[keyPath: rate]
                say(
                    String(
                        format: "%@ at %d within 20 %% of %d (%.0f vs %.0f, x%.2f)",
                        name,
                        last.objects,
                        first.objects,
                        last[keyPath: rate],
                        first[keyPath: rate],
                        ratio
                    ),
                    ratio >= 0.8
                )
            }
        }
        for row in rows {
            say(
                String(format: "longest write during compaction <= 1 s at %d (%.3f s)", row.objects, row.pauseDuring),
                row.pauseDuring <= 1
            )
        }
    }
}

/// State shared by the bench's concurrent tasks.
private final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>

    init(_ value: Value) { state = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        state.withLock { body(&$0) }
    }
}
