import ArgumentParser
import Foundation
import VolumeRepository

#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench repo`: Lifeboat's volume repository against restic 0.14 on the same dataset, in the same run.
///
/// Steps per tool (fresh repository each run): init, first backup, no-change backup, backup after
/// `make-dataset.py mutate`, restore of the first snapshot, `check --read-data`. Each step runs as a child
/// process; wall time, MB/s of source data, CPU time and peak RSS (wait4 rusage) and the repository size
/// are printed with the Lifeboat/restic ratios. Both tools run with `--compression auto` (restic: klauspost
/// SpeedDefault; Lifeboat: libzstd level 2, see `Repository.Configuration.compressionLevel`). Then the
/// single-core throughput of each pipeline stage is measured and the first backup's CPU is split by stage.
struct RepoBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repo",
        abstract: "Volume repository benchmark vs restic."
    )

    @Option(help: "Dataset root (created with make-dataset.py when missing).") var data = "/tmp/lifeboat-bench/data"
    @Option(help: "Working directory for repositories and restores.") var work = "/tmp/lifeboat-bench/repo-bench"
    @Option(help: "make-dataset.py; a relative path is tried against the current directory, then the package root.")
    var dataset = "../shared/bench/make-dataset.py"
    @Option(help: "lifeboat executable (default: next to lifeboat-bench).") var lifeboat: String?
    @Option(help: "restic executable (a path, or a name looked up on PATH).") var restic = "restic"
    @Option(help: "Runs per tool (median is reported).") var runs = 1
    @Option(help: "Lifeboat's --compression (auto, off, max or a zstd level).") var compression = "auto"
    @Flag(help: "Only measure the single-core stage limits.") var limitsOnly = false

    struct Step {
        var name: String
        var seconds: Double
        var maxRSSKiB: Int
        var bytes: Int
        var cpuSeconds: Double = 0
    }

    func run() async throws {
        let fm = FileManager.default
        let lifeboatPath =
            lifeboat
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                "lifeboat"
            ).path
        guard fm.isExecutableFile(atPath: lifeboatPath) else {
            throw ValidationError("lifeboat not found at \(lifeboatPath); build it with -c release")
        }
        let resticPath = try BenchPaths.executable(restic, option: "--restic")
        let datasetScript = try BenchPaths.existingFile(dataset, option: "--dataset")
        let tools = Tools(lifeboat: lifeboatPath, restic: resticPath, datasetScript: datasetScript)
        if !fm.fileExists(atPath: data) {
            print("generating dataset at \(data)")
            _ = try Self.spawn(["/usr/bin/env", "python3", datasetScript, "generate", "--root", data], env: [:])
        } else {
            _ = try Self.spawn(["/usr/bin/env", "python3", datasetScript, "reset", "--root", data], env: [:])
        }
        let sourceBytes = Self.treeSize(data)
        print("dataset \(data): \(sourceBytes) bytes")
        if limitsOnly {
            try printStageLimits()
            return
        }
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        let passwordFile = work + "/password"
        try Data("bench-password\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        var results: [String: [[Step]]] = [:]
        // Repositories and restore targets stay until every run is done: deleting tens of thousands of files
        // just before the other tool's restore makes ext4 skip the recently freed inodes (`recently_deleted`,
        // 35-65 s), which costs that restore seconds of system time. The tools also alternate who goes first.
        var leftovers: [String] = []
        defer { for path in leftovers { try? FileManager.default.removeItem(atPath: path) } }
        let stale = ((try? fm.contentsOfDirectory(atPath: work)) ?? []).filter {
            $0.contains("-repo-") || $0.contains("-restore-")
        }
        if !stale.isEmpty {
            for name in stale { try? fm.removeItem(atPath: "\(work)/\(name)") }
            sync()
            print(
                "removed \(stale.count) leftovers of an earlier run; waiting 65 s so their freed inodes do not slow the restores"
            )
            try await Task.sleep(for: .seconds(65))
        }
        for run in 0..<runs {
            for tool in run % 2 == 0 ? ["restic", "lifeboat"] : ["lifeboat", "restic"] {
                leftovers += ["\(work)/\(tool)-repo-\(run)", "\(work)/\(tool)-restore-\(run)"]
                let steps = try runTool(
                    tool,
                    tools: tools,
                    passwordFile: passwordFile,
                    sourceBytes: sourceBytes,
                    run: run
                )
                results[tool, default: []].append(steps)
            }
        }
        print("")
        print(
            "lifeboat --compression \(compression) vs restic --compression auto; ratios are lifeboat/restic (speedup = restic time / lifeboat time)"
        )
        func col(_ text: String, _ width: Int) -> String { BenchTable.column(text, width) }
        print(
            "step".padding(toLength: 22, withPad: " ", startingAt: 0) + col("restic s", 10) + col("lifeboat s", 11)
                + col("speedup", 9)
                + col("restic MB/s", 12) + col("lb MB/s", 9) + col("restic CPU", 11) + col("lb CPU", 8)
                + col("restic RSS", 11)
                + col("lb RSS", 8) + col("RSS ratio", 10)
        )
        let r = Self.median(results["restic"] ?? [])
        let l = Self.median(results["lifeboat"] ?? [])
        for (a, b) in zip(r, l) {
            if a.name == "repo size" {
                print(
                    "repo size (bytes)".padding(toLength: 22, withPad: " ", startingAt: 0) + col("\(a.bytes)", 14)
                        + col("\(b.bytes)", 14)
                        + String(format: "   lifeboat/restic = %.4f", Double(b.bytes) / Double(max(1, a.bytes)))
                )
                continue
            }
            let mbA = a.bytes > 0 ? Double(a.bytes) / a.seconds / 1e6 : 0
            let mbB = b.bytes > 0 ? Double(b.bytes) / b.seconds / 1e6 : 0
            print(
                a.name.padding(toLength: 22, withPad: " ", startingAt: 0) + col(String(format: "%.2f", a.seconds), 10)
                    + col(String(format: "%.2f", b.seconds), 11)
                    + col(String(format: "%.2fx", a.seconds / max(b.seconds, 0.001)), 9)
                    + col(String(format: "%.1f", mbA), 12) + col(String(format: "%.1f", mbB), 9)
                    + col(String(format: "%.2f", a.cpuSeconds), 11) + col(String(format: "%.2f", b.cpuSeconds), 8)
                    + col("\(a.maxRSSKiB / 1024) MiB", 11) + col("\(b.maxRSSKiB / 1024) MiB", 8)
                    + col(String(format: "%.2f", Double(b.maxRSSKiB) / Double(max(1, a.maxRSSKiB))), 10)
            )
        }
        if runs > 1 {
            // Run i of each tool ran back to back, so their ratio is the least disturbed by the host's drift.
            print("")
            print("speedup per run (restic run i / lifeboat run i, measured back to back):")
            let rr = results["restic"] ?? []
            let lr = results["lifeboat"] ?? []
            for i in (rr.first ?? []).indices where rr[0][i].name != "repo size" {
                let ratios = zip(rr, lr).map { $0[i].seconds / max($1[i].seconds, 0.001) }
                print(
                    "  " + rr[0][i].name.padding(toLength: 22, withPad: " ", startingAt: 0)
                        + ratios.map { String(format: "%.2fx", $0) }.joined(separator: "  ")
                        + String(format: "   median %.2fx", ratios.sorted()[ratios.count / 2])
                )
            }
        }
        print("")
        try printStageLimits()
    }

    /// Measures the single-core limits of each stage on samples of the dataset and splits a first backup's
    /// unavoidable CPU work by stage.
    private func printStageLimits() throws {
        // Blobs as the backup sees them: small files whole, medium files in ~1.5 MiB chunks.
        var blobs: [[UInt8]] = []
        var small = 0
        if let walker = FileManager.default.enumerator(atPath: data + "/small") {
            while let rel = walker.nextObject() as? String, small < 40_000_000 {
                guard let d = FileManager.default.contents(atPath: data + "/small/" + rel), !d.isEmpty else { continue }
                blobs.append([UInt8](d))
                small += d.count
            }
        }
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: data + "/medium")) ?? []).sorted().prefix(6)
        {
            guard let d = FileManager.default.contents(atPath: data + "/medium/" + name) else { continue }
            var offset = 0
            while offset < d.count {
                let n = min(1_500_000, d.count - offset)
                blobs.append([UInt8](d[offset..<(offset + n)]))
                offset += n
            }
        }
        let large =
            FileManager.default.contents(atPath: data + "/large/large-0.img").map { [UInt8]($0.prefix(16 << 20)) } ?? []
        let levels: [Int32] = [2, 3]
        let results = try StageLimits.measure(blobs: blobs, chunkerSample: large, levels: levels)
        print(
            "single-core limits (\(blobs.count) sample blobs, \(blobs.reduce(0) { $0 + $1.count } / 1_000_000) MB of small+medium files):"
        )
        for r in results {
            print(
                "  " + r.stage.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(format: "%9.0f MB/s", r.mbPerSecond)
                    + (r.ratio != 1 ? String(format: "   output/input %.3f", r.ratio) : "")
            )
        }
    }

    /// The executables and the dataset script a run uses, resolved once.
    struct Tools {
        var lifeboat: String
        var restic: String
        var datasetScript: String
    }

    private func runTool(
        _ tool: String,
        tools: Tools,
        passwordFile: String,
        sourceBytes: Int,
        run: Int
    ) throws -> [Step] {
        let repo = "\(work)/\(tool)-repo-\(run)"
        let target = "\(work)/\(tool)-restore-\(run)"
        let base = tool == "restic" ? [tools.restic] : [tools.lifeboat, "repo"]
        let env = ["RESTIC_CACHE_DIR": work + "/restic-cache"]
        func cmd(_ sub: String, _ args: [String]) -> [String] {
            base + [sub, "--repo", repo, "--password-file", passwordFile] + args
        }
        let compressionArgs = ["--compression", tool == "restic" ? "auto" : compression]
        var steps: [Step] = []
        func step(_ name: String, _ argv: [String], bytes: Int, uncached: Bool = false) throws {
            sync()
            // Restore and check read a repository that is not in the page cache, as they do days after the
            // backup, whether the tool's backup wrote through the page cache (restic) or past it (lifeboat).
            if uncached { Self.dropFromPageCache(repo) }
            let (secs, rss, cpu) = try Self.spawn(argv, env: env)
            steps.append(Step(name: name, seconds: secs, maxRSSKiB: rss, bytes: bytes, cpuSeconds: cpu))
            print(
                "\(tool) \(name): \(String(format: "%.2f", secs)) s, \(String(format: "%.2f", cpu)) s CPU, \(rss / 1024) MiB RSS"
            )
        }
        _ = try Self.spawn(cmd("init", tool == "restic" ? ["--repository-version", "2"] : []), env: env)
        try step("first backup", cmd("backup", compressionArgs + [data]), bytes: sourceBytes)
        let repoSize = Self.treeSize(repo)
        try step("no-change backup", cmd("backup", compressionArgs + [data]), bytes: sourceBytes)
        _ = try Self.spawn(["/usr/bin/env", "python3", tools.datasetScript, "mutate", "--root", data], env: [:])
        try step("backup after mutation", cmd("backup", compressionArgs + [data]), bytes: Self.treeSize(data))
        _ = try Self.spawn(["/usr/bin/env", "python3", tools.datasetScript, "reset", "--root", data], env: [:])
        try step("restore", cmd("restore", ["latest", "--target", target]), bytes: sourceBytes, uncached: true)
        try step("check --read-data", cmd("check", ["--read-data"]), bytes: repoSize, uncached: true)
        print("\(tool) repository size after first backup: \(repoSize) bytes")
        steps.append(Step(name: "repo size", seconds: 0, maxRSSKiB: 0, bytes: repoSize))
        return steps
    }

    /// Each step's median time, CPU, peak RSS and size, each taken on its own (peak RSS barely depends on
    /// the host's speed, time a lot, so the run with the median time need not have the median RSS).
    static func median(_ runs: [[Step]]) -> [Step] {
        guard let first = runs.first else { return [] }
        func mid<T: Comparable>(_ values: [T]) -> T { values.sorted()[values.count / 2] }
        return first.indices.map { i in
            let steps = runs.map { $0[i] }
            return Step(
                name: first[i].name,
                seconds: mid(steps.map(\.seconds)),
                maxRSSKiB: mid(steps.map(\.maxRSSKiB)),
                bytes: mid(steps.map(\.bytes)),
                cpuSeconds: mid(steps.map(\.cpuSeconds))
            )
        }
    }

    /// Runs a child process; returns wall seconds, its peak RSS in KiB and its user+system CPU seconds.
    ///
    /// - Parameters:
    ///   - argv: the program (an absolute path) and its arguments.
    ///   - env: variables added to this process's environment.
    ///   - output: a file that receives the child's stdout and stderr (appended); nil inherits this process's.
    ///   - started: called with the child's pid once it runs (to signal it from elsewhere).
    /// - Throws: `ValidationError` when it cannot start or exits unsuccessfully (naming `output` if set).
    @discardableResult
    static func spawn(
        _ argv: [String],
        env: [String: String],
        output: String? = nil,
        started: (pid_t) -> Void = { _ in }
    ) throws -> (Double, Int, Double) {
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for argument in cArgs { free(argument) }
            for variable in cEnv { free(variable) }
        }
        // The child gets SIGINT and SIGTERM back at their defaults, whatever this process does with them.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let output {
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let start = ContinuousClock.now
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        guard rc == 0 else { throw ValidationError("cannot run \(argv[0]): \(String(cString: strerror(rc)))") }
        started(pid)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let elapsed = ContinuousClock.now - start
        let exitCode = (status >> 8) & 0xff
        if status & 0x7f != 0 || exitCode != 0 {
            let log = output.map { " (its output is in \($0))" } ?? ""
            throw ValidationError("\(argv.joined(separator: " ")) failed with status \(status)\(log)")
        }
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
                usage.ru_utime.tv_usec + usage.ru_stime.tv_usec
            ) / 1e6
        return (elapsed.inSeconds, Int(usage.ru_maxrss), cpu)
    }

    /// Total size of regular files below `path`.
    /// Drops the (clean) pages of every regular file under `folder` from the page cache.
    static func dropFromPageCache(_ folder: String) {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return }
        while let relative = walker.nextObject() as? String {
            let path = folder + "/" + relative
            guard let status = FileStatus.of(path), status.isRegularFile else { continue }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
            close(fd)
        }
    }

    static func treeSize(_ path: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        while let rel = walker.nextObject() as? String {
            if let status = FileStatus.of(path + "/" + rel), status.isRegularFile { total += status.size }
        }
        return total
    }
}
