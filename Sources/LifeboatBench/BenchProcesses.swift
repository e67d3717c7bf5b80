import ArgumentParser
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Child processes of a benchmark that runs alongside other async work (an API server, watches): each child is
/// waited for on a thread of its own, so the cooperative pool stays free, and a cancelled task stops its child.
enum BenchProcesses {
    /// A child's figures: wall seconds, peak RSS in KiB, user+system CPU seconds.
    typealias Figures = (seconds: Double, maxRSSKiB: Int, cpuSeconds: Double)

    /// The pid of a running child, and whether its task was cancelled before the pid was known.
    private final class Child: Sendable {
        let state = Mutex<(pid: pid_t?, cancelled: Bool)>((nil, false))
    }

    /// Runs `argv` to its end (``RepoBench/spawn(_:env:output:started:)`` on a thread); cancelling the task sends
    /// the child SIGTERM.
    ///
    /// - Parameters:
    ///   - argv: the program (an absolute path) and its arguments.
    ///   - env: variables added to this process's environment.
    ///   - directory: the child's working directory (nil: this process's).
    ///   - output: a file that receives the child's stdout and stderr; nil inherits this process's.
    ///   - timeout: how long the child may run before it is stopped (nil: as long as it takes).
    /// - Throws: `ValidationError` when the child cannot start, fails (with the end of `output`) or times out;
    ///   `CancellationError` when cancelled.
    @discardableResult
    static func run(
        _ argv: [String],
        env: [String: String] = [:],
        directory: String? = nil,
        output: String? = nil,
        timeout: Duration? = nil
    ) async throws -> Figures {
        guard let timeout else { return try await runToEnd(argv, env: env, directory: directory, output: output) }
        return try await withThrowingTaskGroup(of: Figures?.self) { group in
            group.addTask { try await runToEnd(argv, env: env, directory: directory, output: output) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            guard let figures = first else {
                throw ValidationError("\(argv.joined(separator: " ")) did not end within \(timeout)")
            }
            return figures
        }
    }

    /// ``run(_:env:directory:output:timeout:)`` without a timeout; a failure carries the end of `output`.
    private static func runToEnd(
        _ argv: [String],
        env: [String: String],
        directory: String?,
        output: String?
    ) async throws -> Figures {
        do {
            return try await spawnOnThread(argv, env: env, directory: directory, output: output)
        } catch let error as ValidationError {
            guard let output, let text = try? String(contentsOfFile: output, encoding: .utf8) else { throw error }
            let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(25)
            throw ValidationError("\(error.message)\n" + tail.joined(separator: "\n"))
        }
    }

    /// The child run and waited for on a thread of its own; cancelling the task sends it SIGTERM.
    private static func spawnOnThread(
        _ argv: [String],
        env: [String: String],
        directory: String?,
        output: String?
    ) async throws -> Figures {
        try Task.checkCancellation()
        // `cd` then `exec`: the pid stays the program's, and the shell's start costs about a millisecond.
        let command = directory.map { ["/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", $0] + argv } ?? argv
        let child = Child()
        let figures: Figures = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread {
                    let result = Result { () throws -> Figures in
                        try RepoBench.spawn(command, env: env, output: output) { pid in
                            let cancelled = child.state.withLock { state in
                                state.pid = pid
                                return state.cancelled
                            }
                            if cancelled { kill(pid, SIGTERM) }
                        }
                    }
                    child.state.withLock { $0.pid = nil }
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            let pid = child.state.withLock { state in
                state.cancelled = true
                return state.pid
            }
            if let pid { kill(pid, SIGTERM) }
        }
        try Task.checkCancellation()
        return figures
    }

    /// Starts a long-running child (a node agent) with its output in `output`.
    static func start(
        _ executable: String,
        _ arguments: [String],
        env: [String: String],
        output: String
    ) throws
        -> Process
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        return process
    }

    /// SIGTERM, up to `grace` for the process to exit, then SIGKILL; waits for it.
    static func stop(_ process: Process, grace: Duration = .seconds(10)) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Runs `body`; SIGINT or SIGTERM cancels it, waits for it to clean up, and exits with 128 + the signal.
    ///
    /// The signals are trapped only while `body` runs (children get them back at their defaults).
    static func interruptible(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let signals = [SIGINT, SIGTERM]
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        defer {
            for source in sources { source.cancel() }
            for number in signals { signal(number, SIG_DFL) }
            continuation.finish()
        }
        let caught: Int32? = try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask {
                try await body()
                return nil
            }
            group.addTask {
                for await number in stream { return number }
                return nil
            }
            var caught: Int32?
            do {
                while let event = try await group.next() {
                    guard let number = event else { break }
                    caught = number
                    let name = number == SIGINT ? "SIGINT" : "SIGTERM"
                    FileHandle.standardError.write(Data("\(name): stopping and cleaning up\n".utf8))
                    group.cancelAll()
                }
            } catch _ where caught != nil {
                // The body's end after the signal (cancellation, or a child stopped): the signal is the news.
            }
            group.cancelAll()
            return caught
        }
        if let caught { throw ExitCode(128 + caught) }
    }
}
