import Foundation
import VolumeRepository

/// Prints progress (bytes/s, ETA) once a second while an operation runs, on a TTY only.
///
/// The printer and the scan stop when the operation ends: their cancellation ends them quietly, it is never the
/// command's error.
enum ProgressPrinter {
    /// What a task of the group returns: the operation's value, or the end of a helper (the printer, the scan).
    private enum Outcome<T: Sendable>: Sendable {
        case value(T)
        case helperEnded
    }

    static func run<T: Sendable>(
        progress: BackupProgress,
        scan: (paths: [String], excludes: [String])?,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard isatty(STDOUT_FILENO) == 1 else { return try await body() }
        let start = ContinuousClock.now
        return try await withThrowingTaskGroup(of: Outcome<T>.self) { group in
            group.addTask { try await .value(body()) }
            if let scan {
                group.addTask {
                    progress.scan(paths: scan.paths, excludes: scan.excludes, shouldStop: { Task.isCancelled })
                    return .helperEnded
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    // Cancelled once the operation ends: the printer stops, it does not fail the command.
                    guard (try? await Task.sleep(for: .seconds(1))) != nil, !Task.isCancelled else { break }
                    let c = progress.counts
                    let elapsed = ContinuousClock.now - start
                    let secs = max(
                        0.001,
                        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    )
                    let rate = Double(c.bytes) / secs
                    var line =
                        "[\(ByteFormat.duration(secs))] \(c.files) files \(ByteFormat.string(c.bytes)), \(ByteFormat.string(UInt64(rate)))/s"
                    if c.totalBytes > 0 {
                        let pct = min(100, Double(c.bytes) * 100 / Double(c.totalBytes))
                        line += String(format: " %.1f%%", pct)
                        if c.scanFinished, rate > 0, c.totalBytes > c.bytes {
                            line += " ETA \(ByteFormat.duration(Double(c.totalBytes - c.bytes) / rate))"
                        }
                    }
                    if c.errors > 0 { line += ", \(c.errors) errors" }
                    FileHandle.standardOutput.write(Data("\r\u{1b}[K\(line)".utf8))
                }
                return .helperEnded
            }
            var result: T?
            for try await outcome in group {
                if case .value(let value) = outcome {
                    result = value
                    group.cancelAll()
                }
            }
            FileHandle.standardOutput.write(Data("\r\u{1b}[K".utf8))
            guard let result else { throw CancellationError() }
            return result
        }
    }
}
