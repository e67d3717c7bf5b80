import Foundation
import LifeboatFuzzing

/// The parent: runs a target's inputs in child processes, restarting after each crash at the next input.
struct Supervisor {
    let findings: FindingsFolder
    let seed: UInt64
    /// Options passed on to every child.
    let childArguments: [String]
    /// A target with more crashes than this stops early (a parser that crashes on everything).
    var crashBudget = 25

    /// Runs `runs` inputs of `target` and reports what happened.
    func fuzz(_ target: FuzzTarget, runs: Int) throws -> TargetReport {
        var report = TargetReport(name: target.name)
        var start = 0
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        while start < runs && report.deaths.count <= crashBudget {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments =
                ["--child", "--target", target.name, "--seed", "\(seed)", "--runs", "\(runs)", "--start", "\(start)"]
                + childArguments
            var environment = ProcessInfo.processInfo.environment
            environment["SWIFT_BACKTRACE"] = "enable=no"
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            _ = FileManager.default.createFile(atPath: findings.stderrPath(target.name), contents: nil)
            process.standardError = FileHandle(forWritingAtPath: findings.stderrPath(target.name))
            try? FileManager.default.removeItem(atPath: findings.inflightPath(target.name))
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let last = text.split(separator: "\n").last.flatMap {
                try? JSONDecoder().decode(FuzzStatistics.self, from: Data($0.utf8))
            }
            if let last { report.stats.add(last) }
            if process.terminationReason == .exit && process.terminationStatus == 0 { break }
            guard let found = findings.inflight(target.name) else {
                throw FuzzToolError(
                    "the \(target.name) child failed (status \(process.terminationStatus)) before running an input; "
                        + "see \(findings.stderrPath(target.name))"
                )
            }
            let (iteration, input) = (found.iteration, found.input)
            // Inputs the child ran after its last statistics line, the fatal one included.
            report.stats.execs += iteration + 1 - start - (last?.execs ?? 0)
            let death = Death(process: process, iteration: iteration, stderr: childMessage(target.name))
            death.file = findings.save(
                input,
                target: target.name,
                kind: death.kind,
                iteration: iteration,
                note: death.note
            )
            report.deaths.append(death)
            start = iteration + 1
        }
        return report
    }

    /// The runtime's message from the child's standard error (`Fatal error: …`), if any.
    private func childMessage(_ target: String) -> String {
        let text = (try? String(contentsOfFile: findings.stderrPath(target), encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").map(String.init)
        return lines.last { $0.contains("Fatal error") || $0.contains("error:") } ?? lines.last ?? ""
    }
}

/// How a child died.
final class Death {
    /// `crash` (a signal), `hang` or `memory` (stopped by the child's watchdog).
    let kind: String
    let iteration: Int
    let note: String
    var file = ""

    init(process: Process, iteration: Int, stderr: String) {
        self.iteration = iteration
        if process.terminationReason == .uncaughtSignal {
            kind = "crash"
            note = "signal \(process.terminationStatus): \(stderr)"
        } else if process.terminationStatus == ChildObserver.hangExitCode {
            kind = "hang"
            note = "input ran past the hang limit"
        } else if process.terminationStatus == ChildObserver.memoryExitCode {
            kind = "memory"
            note = "resident size passed the memory limit"
        } else {
            kind = "crash"
            note = "exit status \(process.terminationStatus): \(stderr)"
        }
    }
}

/// One target's line in the report, and the details below the table.
struct TargetReport {
    let name: String
    var stats = FuzzStatistics()
    var deaths: [Death] = []

    private func count(_ kind: String) -> Int { deaths.filter { $0.kind == kind }.count }

    /// Crashes, hangs and memory blow-ups fail the run; so do unclear rejections and oracle failures.
    var failed: Bool {
        !deaths.isEmpty || stats.unclear > 0 || stats.oracleFailures > 0 || !stats.slow.isEmpty
            || !stats.memory.isEmpty
    }

    static let header = [
        pad("target", 20), pad("execs", 7, right: true), pad("accepted", 9, right: true),
        pad("rejected", 9, right: true), pad("unclear", 8, right: true), pad("oracle", 7, right: true),
        pad("crashes", 8, right: true), pad("hangs", 6, right: true), pad("slow", 5, right: true),
        pad("memory", 7, right: true), pad("seconds", 8, right: true),
    ].joined(separator: " ")

    var row: String {
        [
            Self.pad(name, 20), Self.pad("\(stats.execs)", 7, right: true),
            Self.pad("\(stats.accepted)", 9, right: true), Self.pad("\(stats.rejected)", 9, right: true),
            Self.pad("\(stats.unclear)", 8, right: true), Self.pad("\(stats.oracleFailures)", 7, right: true),
            Self.pad("\(count("crash"))", 8, right: true), Self.pad("\(count("hang"))", 6, right: true),
            Self.pad("\(stats.slow.count)", 5, right: true),
            Self.pad("\(stats.memory.count + count("memory"))", 7, right: true),
            Self.pad(String(format: "%.1f", stats.seconds), 8, right: true),
        ].joined(separator: " ")
    }

    static func printDetails(_ reports: [TargetReport]) {
        let total = reports.reduce(0) { $0 + $1.stats.execs }
        let deaths = reports.reduce(0) { $0 + $1.deaths.count }
        print("total: \(total) execs, \(deaths) crashes/hangs/memory stops")
        for report in reports {
            for death in report.deaths {
                print("\(report.name): \(death.kind) at input \(death.iteration) -> \(death.file): \(death.note)")
            }
            if let sample = report.stats.unclearSample {
                print("\(report.name): \(report.stats.unclear) unclear rejections, e.g. \(sample)")
            }
            if let sample = report.stats.oracleSample {
                print("\(report.name): \(report.stats.oracleFailures) oracle failures, e.g. \(sample)")
            }
            for slow in report.stats.slow {
                print("\(report.name): slow input \(slow.iteration) (\(String(format: "%.2f", slow.measure)) s)")
            }
            for memory in report.stats.memory {
                print(
                    "\(report.name): input \(memory.iteration) grew the resident size by \(Int(memory.measure) >> 20) MiB"
                )
            }
        }
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
