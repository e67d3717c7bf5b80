import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench repo`: Lifeboat's volume repository against restic 0.14 on the same dataset, in the same run.
///
/// Steps per tool (fresh repository each run): init, first backup, no-change backup, backup after
/// `make-dataset.py mutate`, restore of the first snapshot, `check --read-data`. Each step runs as a child
/// process; wall time, MB/s of source data, peak RSS (wait4 ru_maxrss) and the repository size are printed
/// with the Lifeboat/restic ratios. Both tools use compression (restic `auto`, Lifeboat zstd level 3).
struct RepoBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repo", abstract: "Volume repository benchmark vs restic.")

    @Option(help: "Dataset root (created with make-dataset.py when missing).") var data = "/tmp/lifeboat-bench/data"
    @Option(help: "Working directory for repositories and restores.") var work = "/tmp/lifeboat-bench/repo-bench"
    @Option(help: "make-dataset.py path.") var dataset = "/work/shared/bench/make-dataset.py"
    @Option(help: "lifeboat executable (default: next to lifeboat-bench).") var lifeboat: String?
    @Option(help: "restic executable.") var restic = "/usr/bin/restic"
    @Option(help: "Runs per tool (median is reported).") var runs = 1

    struct Step {
        var name: String
        var seconds: Double
        var maxRSSKiB: Int
        var bytes: Int
    }

    func run() async throws {
        let fm = FileManager.default
        let lifeboatPath = lifeboat ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lifeboat").path
        guard fm.isExecutableFile(atPath: lifeboatPath) else { throw ValidationError("lifeboat not found at \(lifeboatPath); build it with -c release") }
        guard fm.isExecutableFile(atPath: restic) else { throw ValidationError("restic not found at \(restic)") }
        if !fm.fileExists(atPath: data) {
            print("generating dataset at \(data)")
            _ = try Self.spawn(["/usr/bin/env", "python3", dataset, "generate", "--root", data], env: [:])
        } else {
            _ = try Self.spawn(["/usr/bin/env", "python3", dataset, "reset", "--root", data], env: [:])
        }
        let sourceBytes = Self.treeSize(data)
        print("dataset \(data): \(sourceBytes) bytes")
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        let passwordFile = work + "/password"
        try Data("bench-password\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        var results: [String: [[Step]]] = [:]
        for run in 0..<runs {
            for tool in ["restic", "lifeboat"] {
                let steps = try runTool(tool, lifeboatPath: lifeboatPath, passwordFile: passwordFile, sourceBytes: sourceBytes, run: run)
                results[tool, default: []].append(steps)
            }
        }
        print("")
        print("step                     restic s   lifeboat s   restic MB/s  lifeboat MB/s  speedup  restic RSS  lifeboat RSS")
        let r = Self.median(results["restic"] ?? [])
        let l = Self.median(results["lifeboat"] ?? [])
        for (a, b) in zip(r, l) {
            let mbA = a.bytes > 0 ? Double(a.bytes) / a.seconds / 1e6 : 0
            let mbB = b.bytes > 0 ? Double(b.bytes) / b.seconds / 1e6 : 0
            print(
                String(
                    format: "%-24@ %8.2f   %10.2f   %11.1f  %13.1f  %6.2fx  %7d MiB  %9d MiB", a.name as NSString, a.seconds, b.seconds,
                    mbA, mbB, a.seconds / max(b.seconds, 0.001), a.maxRSSKiB / 1024, b.maxRSSKiB / 1024))
        }
    }

    private func runTool(_ tool: String, lifeboatPath: String, passwordFile: String, sourceBytes: Int, run: Int) throws -> [Step] {
        let repo = "\(work)/\(tool)-repo-\(run)"
        let target = "\(work)/\(tool)-restore-\(run)"
        try? FileManager.default.removeItem(atPath: repo)
        try? FileManager.default.removeItem(atPath: target)
        let base = tool == "restic" ? [restic] : [lifeboatPath, "repo"]
        let env = ["RESTIC_CACHE_DIR": work + "/restic-cache"]
        func cmd(_ sub: String, _ args: [String]) -> [String] {
            base + [sub, "--repo", repo, "--password-file", passwordFile] + args
        }
        var steps: [Step] = []
        func step(_ name: String, _ argv: [String], bytes: Int) throws {
            sync()
            let (secs, rss) = try Self.spawn(argv, env: env)
            steps.append(Step(name: name, seconds: secs, maxRSSKiB: rss, bytes: bytes))
            print("\(tool) \(name): \(String(format: "%.2f", secs)) s, \(rss / 1024) MiB RSS")
        }
        _ = try Self.spawn(cmd("init", tool == "restic" ? ["--repository-version", "2"] : []), env: env)
        try step("first backup", cmd("backup", [data]), bytes: sourceBytes)
        let repoSize = Self.treeSize(repo)
        try step("no-change backup", cmd("backup", [data]), bytes: sourceBytes)
        _ = try Self.spawn(["/usr/bin/env", "python3", dataset, "mutate", "--root", data], env: [:])
        try step("backup after mutation", cmd("backup", [data]), bytes: Self.treeSize(data))
        _ = try Self.spawn(["/usr/bin/env", "python3", dataset, "reset", "--root", data], env: [:])
        try step("restore", cmd("restore", ["latest", "--target", target]), bytes: sourceBytes)
        try step("check --read-data", cmd("check", ["--read-data"]), bytes: repoSize)
        print("\(tool) repository size after first backup: \(repoSize) bytes")
        steps.append(Step(name: "repo size (MB)", seconds: Double(repoSize) / 1e6, maxRSSKiB: 0, bytes: 0))
        try? FileManager.default.removeItem(atPath: target)
        return steps
    }

    static func median(_ runs: [[Step]]) -> [Step] {
        guard let first = runs.first else { return [] }
        return first.indices.map { i in
            let sorted = runs.map { $0[i] }.sorted { $0.seconds < $1.seconds }
            return sorted[sorted.count / 2]
        }
    }

    /// Runs a child process; returns wall seconds and its peak RSS in KiB.
    static func spawn(_ argv: [String], env: [String: String]) throws -> (Double, Int) {
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        let start = ContinuousClock.now
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], nil, nil, cArgs, cEnv)
        guard rc == 0 else { throw ValidationError("cannot run \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let elapsed = ContinuousClock.now - start
        let exitCode = (status >> 8) & 0xff
        if status & 0x7f != 0 || exitCode != 0 {
            throw ValidationError("\(argv.joined(separator: " ")) failed with status \(status)")
        }
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, Int(usage.ru_maxrss))
    }

    /// Total size of regular files below `path`.
    static func treeSize(_ path: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        while let rel = walker.nextObject() as? String {
            var st = stat()
            if lstat(path + "/" + rel, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { total += Int(st.st_size) }
        }
        return total
    }
}
