import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench fs-backup`: a pod volume's file-system backup and restore through the whole stack, against
/// `lifeboat repo` and `restic` on the same folder, in the same run.
///
/// The stack is `lifeboat backup create --wait` and `lifeboat restore create --wait` (direct mode) against
/// `lifeboat sandbox serve` with running containers: Backup → PodVolumeBackup → node agent (`lifeboat node-agent
/// server`, one per node, a child process) → hosting pod → `lifeboat pod-volume backup`, into a `filesystem`
/// location whose bucket the nodes share. The pod's volume is a PVC whose folder gets the dataset as hard links
/// (a copy across filesystems) before anything is timed; `lifeboat repo` and `restic` back up that same folder.
/// Before anything is timed, restic and `lifeboat repo` initialize their repositories and the stack backs up the
/// still empty volume (which initializes the namespace's repository and makes its BackupRepository Ready).
/// Steps per run: each tool's first backup of the data, then `make-dataset.py mutate` on the folder and each tool's second
/// (incremental) backup, then each tool's restore of its latest snapshot, the stack's into a mapped namespace.
/// Every restore is compared with the folder (types, modes, sizes, mtimes, bytes, link targets): a missing or
/// different file stops the benchmark. Targets (issue 18): stack ≤ 1.10 × `lifeboat repo`, restic ≥ 1.8 × the
/// stack for the first backup.
struct FsBackupBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fs-backup",
        abstract: "Pod volume backup/restore through the whole stack vs lifeboat repo and restic (release build).",
        discussion: """
            Build with -c release (the lifeboat next to lifeboat-bench too): a debug build's figures mean nothing. \
            Needs bubblewrap (the sandbox's containers) and restic. The working folder is removed at the end, \
            also on SIGINT or SIGTERM.
            """
    )

    @Option(help: "The folder backed up: a make-dataset.py tree (generated when missing, reused when present).")
    var data = "/tmp/lifeboat-bench/data"

    @Flag(help: "--data is any folder, used as it is: never generated, reset or mutated (no incremental step).")
    var plainData = false

    @Option(help: "make-dataset.py; a relative path is tried against the current directory, then the package root.")
    var dataset = "../shared/bench/make-dataset.py"

    @Option(help: "Working folder (sandbox, bucket, repositories, restores); removed at the end.")
    var work = "/tmp/lifeboat-bench/fs-backup-bench"

    @Option(help: "lifeboat executable (default: next to lifeboat-bench).") var lifeboat: String?
    @Option(help: "restic executable (a path, or a name looked up on PATH).") var restic = "restic"
    @Option(help: "Runs (median is reported; who goes first rotates).") var runs = 1
    @Flag(help: "Skip the incremental backup (make-dataset.py mutate).") var skipIncremental = false
    @Option(help: "Seconds any one step may take.") var timeout = 3600
    @Flag(help: "Keep the working folder (logs, repositories, restores) for a look afterwards.") var keepWork = false
    @Flag(
        help:
            "Print each stack step's timeline: every phase change of the Backup/Restore, its loads and pods, to the ms."
    )
    var timeline = false

    /// The three ways the folder is backed up and restored, in the order of the first run.
    static let tools = ["restic", "lifeboat repo", "stack"]

    func validate() throws {
        guard runs > 0, timeout > 0 else { throw ValidationError("--runs and --timeout must be positive") }
        guard work.hasPrefix("/"), work.count > 1 else { throw ValidationError("--work must be an absolute path") }
    }

    func run() async throws {
        let fileManager = FileManager.default
        let lifeboatPath = try BenchPaths.lifeboat(lifeboat)
        let resticPath = try BenchPaths.executable(restic, option: "--restic")
        let dataRoot = URL(fileURLWithPath: data).standardizedFileURL.path
        var script: String?
        if plainData {
            var isFolder: ObjCBool = false
            guard fileManager.fileExists(atPath: dataRoot, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--data \(data) is not a folder")
            }
        } else {
            let found = try BenchPaths.existingFile(dataset, option: "--dataset")
            script = found
            let command = fileManager.fileExists(atPath: dataRoot) ? "reset" : "generate"
            if command == "generate" { Self.say("generating dataset at \(dataRoot)") }
            try await BenchProcesses.run(["/usr/bin/env", "python3", found, command, "--root", dataRoot])
        }
        let setup = Setup(
            lifeboat: lifeboatPath,
            restic: resticPath,
            script: script,
            data: dataRoot,
            work: URL(fileURLWithPath: work).standardizedFileURL.path,
            incremental: script != nil && !skipIncremental,
            timeout: timeout,
            timeline: timeline
        )
        let (runs, keepWork) = (self.runs, self.keepWork)
        try await BenchProcesses.interruptible {
            let results = try await FsBackupStack.withStack(setup, keepWork: keepWork) { stack in
                var results: [String: [[RepoBench.Step]]] = [:]
                for run in 0..<runs {
                    let order = (0..<Self.tools.count).map { Self.tools[($0 + run) % Self.tools.count] }
                    for (tool, steps) in try await stack.measure(run: run, order: order) {
                        results[tool, default: []].append(steps)
                    }
                }
                return results
            }
            Self.report(results, runs: runs)
        }
    }

    /// Prints one line unbuffered (also into a pipe or a file, `| tee`): each step's time as soon as it is known.
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// What every step needs: executables, the dataset, the working folder.
    struct Setup: Sendable {
        var lifeboat: String
        var restic: String
        /// make-dataset.py, nil with `--plain-data`.
        var script: String?
        var data: String
        var work: String
        var incremental: Bool
        var timeout: Int
        /// Print the stack steps' timelines (``StackTimeline``).
        var timeline = false
    }

    /// Prints the medians, the ratios and whether the targets are met.
    static func report(_ results: [String: [[RepoBench.Step]]], runs: Int) {
        let medians = tools.map { RepoBench.median(results[$0] ?? []) }
        guard let first = medians.first, medians.allSatisfy({ $0.count == first.count }) else { return }
        let col = BenchTable.column
        say("")
        say("stack = lifeboat backup|restore create --wait (PodVolumeBackup/Restore, node agent, hosting pod);")
        say("repo = lifeboat repo backup|restore; restic = restic backup|restore; same folder; median of \(runs)")
        say(
            "step".padding(toLength: 20, withPad: " ", startingAt: 0) + col("restic s", 10) + col("repo s", 9)
                + col("stack s", 9) + col("stack MB/s", 11) + col("stack/repo", 11) + col("restic/stack", 13)
        )
        for index in first.indices {
            let (restic, repo, stack) = (medians[0][index], medians[1][index], medians[2][index])
            let rate = stack.bytes > 0 ? Double(stack.bytes) / stack.seconds / 1e6 : 0
            say(
                stack.name.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + col(String(format: "%.2f", restic.seconds), 10) + col(String(format: "%.2f", repo.seconds), 9)
                    + col(String(format: "%.2f", stack.seconds), 9) + col(String(format: "%.1f", rate), 11)
                    + col(String(format: "%.3f", stack.seconds / max(repo.seconds, 0.001)), 11)
                    + col(String(format: "%.2fx", restic.seconds / max(stack.seconds, 0.001)), 13)
            )
        }
        guard let index = first.firstIndex(where: { $0.name == "first backup" }) else { return }
        let overhead = medians[2][index].seconds / max(medians[1][index].seconds, 0.001)
        let speedup = medians[0][index].seconds / max(medians[2][index].seconds, 0.001)
        say(
            String(format: "first backup: stack/repo %.3f (target <= 1.10, ", overhead)
                + (overhead <= 1.10 ? "met" : "MISSED")
                + String(format: "); restic/stack %.2fx (target >= 1.8, ", speedup)
                + (speedup >= 1.8 ? "met)" : "MISSED)")
        )
    }
}
