import ArgumentParser
import Foundation
import LifeboatFuzzing

/// `lifeboat-fuzz`: a deterministic mutation fuzzer for the parsers that read untrusted input (backup tarballs,
/// `velero-backup.json`, ConfigMaps, kubeconfigs, selectors, restic repository files).
///
/// Each target runs in a child process of this executable (`--child`), so that a crash kills only the child:
/// the parent sees the signal, saves the input that was running under `fuzz-findings/` and starts a new child at
/// the next input. Input number `i` of a target is a pure function of the seed, the target's name and `i`.
///
/// ```
/// lifeboat-fuzz                              # every target, its default number of inputs
/// lifeboat-fuzz --target tarball --runs 50000 --seed 7
/// lifeboat-fuzz --target tar --replay fuzz-findings/tar-crash-9831.bin
/// ```
@main
struct LifeboatFuzz: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifeboat-fuzz",
        abstract: "Fuzz the parsers of untrusted input (not part of `make test`; `make fuzz` runs it)."
    )

    @Option(help: "Run only this target (repeatable). Targets: \(FuzzTargets.all.map(\.name).joined(separator: ", ")).")
    var target: [String] = []

    @Option(help: "Inputs per target (default: each target's own count, sized for a debug build).")
    var runs: Int?

    @Option(help: "The seed; the same seed runs the same inputs.")
    var seed: UInt64 = 1

    @Option(help: "Where findings are saved.")
    var findings = "fuzz-findings"

    @Option(help: "An input running longer than this many seconds is a hang.")
    var hangSeconds = 10

    @Option(
        name: .customLong("memory-limit-mib"),
        help: "A resident size above this many MiB stops the child (reported as a memory finding)."
    )
    var memoryLimitMiB = 2048

    @Option(
        name: .customLong("memory-bound-mib"),
        help: "An input growing the resident size by more than this many MiB is reported."
    )
    var memoryBoundMiB = 256

    @Option(help: "Run the target once on this file (a saved finding) in this process and print the outcome.")
    var replay: String?

    @Flag(help: "List the targets and exit.")
    var list = false

    @Flag(help: .hidden)
    var child = false

    @Option(help: .hidden)
    var start = 0

    func validate() throws {
        for name in target where FuzzTargets.named(name) == nil {
            throw ValidationError(
                "unknown target \(name); targets: \(FuzzTargets.all.map(\.name).joined(separator: ", "))"
            )
        }
        if let runs, runs < 0 { throw ValidationError("--runs must not be negative") }
    }

    func run() async throws {
        let selected = target.isEmpty ? FuzzTargets.all : target.compactMap(FuzzTargets.named)
        if list {
            for t in selected { print("\(t.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(t.summary)") }
            return
        }
        if let replay {
            guard let only = selected.first, let data = FileManager.default.contents(atPath: replay) else {
                throw ValidationError("--replay needs one --target and a readable file")
            }
            let clock = ContinuousClock()
            let start = clock.now
            do {
                try await only.run([UInt8](data))
                print("accepted (\(clock.now - start))")
            } catch {
                print("rejected (\(clock.now - start)): \(error)")
            }
            return
        }
        let folder = try FindingsFolder(path: findings)
        if child {
            guard let only = selected.first else { return }
            try await runChild(only, folder: folder)
            return
        }
        let supervisor = Supervisor(
            findings: folder,
            seed: seed,
            childArguments: [
                "--hang-seconds", "\(hangSeconds)", "--memory-limit-mib", "\(memoryLimitMiB)",
                "--memory-bound-mib", "\(memoryBoundMiB)", "--findings", findings,
            ]
        )
        var reports: [TargetReport] = []
        print(TargetReport.header)
        for t in selected {
            let report = try supervisor.fuzz(t, runs: runs ?? t.defaultRuns)
            print(report.row)
            reports.append(report)
        }
        TargetReport.printDetails(reports)
        if reports.contains(where: \.failed) { throw ExitCode(1) }
    }

    /// The child: runs inputs `start..<runs`, printing cumulative statistics as JSON lines (every 25 inputs, so
    /// that little is lost when an input kills it).
    private func runChild(_ target: FuzzTarget, folder: FindingsFolder) async throws {
        let observer = try ChildObserver(
            target: target.name,
            findings: folder,
            hangLimit: .seconds(hangSeconds),
            memoryLimit: memoryLimitMiB << 20
        )
        let runner = FuzzRunner(memoryBound: memoryBoundMiB << 20, observer: observer)
        let corpus = try await target.corpus()
        let end = runs ?? target.defaultRuns
        var total = FuzzStatistics()
        var next = start
        let encoder = JSONEncoder()
        while next < end {
            let upper = min(end, next + 25)
            total.add(try await runner.run(target, iterations: next..<upper, seed: seed, corpus: corpus))
            FileHandle.standardOutput.write(try encoder.encode(total) + Data("\n".utf8))
            next = upper
        }
    }
}
