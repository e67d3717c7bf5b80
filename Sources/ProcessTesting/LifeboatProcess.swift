public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built `lifeboat` executable as a child process, for tests of whole commands (the reliability
/// tests kill it mid-way, the node-agent server tests stop it with SIGTERM).
///
/// ```swift
/// let lifeboat = try LifeboatProcess.require()
/// let args = ["node-agent", "server", "--node-name", "n1"]
/// try await LifeboatProcess.withStarted(lifeboat, args, outputPath: log) { child in
///     // … drive the cluster …
///     child.terminate()
///     let status = try await child.wait(timeout: .seconds(60))
/// }
/// ```
public enum LifeboatProcess {
    /// The message when the binary is missing.
    public static let notBuiltMessage =
        "the lifeboat executable is not built next to the test bundle; run `swift build --build-tests`"

    /// The `lifeboat` binary of the same build as the test bundle (`.build/<config>/lifeboat`), or `nil`.
    public static var path: String? {
        var dirs: [String] = []
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent().path) }
        dirs.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
        for bundle in Bundle.allBundles { dirs.append(bundle.bundleURL.deletingLastPathComponent().path) }
        dirs.append(FileManager.default.currentDirectoryPath + "/.build/debug")
        return dirs.map { $0 + "/lifeboat" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The binary.
    /// - Throws: ``ProcessTestingError`` saying how to build it (``notBuiltMessage``).
    public static func require() throws -> String {
        guard let path else { throw ProcessTestingError(notBuiltMessage) }
        return path
    }

    /// A started child whose stdout and stderr go to a file.
    public struct Child: Sendable {
        public let process: Process
        public let outputPath: String

        /// Everything the child wrote so far.
        public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

        /// Whether the child is still running.
        public var isRunning: Bool { process.isRunning }

        /// Sends `signal` if the child is still running.
        public func send(_ signal: Int32) {
            if process.isRunning { sendSignal(process.processIdentifier, signal) }
        }

        /// Sends SIGTERM (a graceful shutdown) if the child is still running; does not wait.
        public func terminate() { send(SIGTERM) }

        /// Sends SIGKILL (if still running) and waits for the process to end.
        public func kill() async throws {
            send(SIGKILL)
            _ = try await wait()
        }

        /// Waits for the end (off the cooperative pool); returns the exit status (or 128 + signal).
        public func wait() async throws -> Int32 {
            let process = self.process
            return try await offCooperativePool {
                process.waitUntilExit()
                return process.terminationReason == .uncaughtSignal
                    ? 128 + process.terminationStatus : process.terminationStatus
            }
        }

        /// Waits at most `timeout` for the end, polling every 50 ms; returns the exit status (or 128 + signal),
        /// or `nil` when the child is still running at the deadline.
        public func wait(timeout: Duration) async throws -> Int32? {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning {
                guard ContinuousClock.now < deadline else { return nil }
                try await Task.sleep(for: .milliseconds(50))
            }
            return try await wait()
        }
    }

    /// Starts `lifeboat` with `args`; stdout and stderr go to `outputPath` (created or truncated).
    ///
    /// The child gets this process's environment without `RESTIC_PASSWORD` and `RESTIC_REPOSITORY`, plus
    /// `environment`. Prefer ``withStarted(_:_:outputPath:environment:isolation:_:)``, which kills the child
    /// however the body ends.
    public static func start(
        _ binary: String,
        _ args: [String],
        outputPath: String,
        environment: [String: String] = [:]
    ) throws -> Child {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RESTIC_PASSWORD")
        env.removeValue(forKey: "RESTIC_REPOSITORY")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try handle.close()
        return Child(process: p, outputPath: outputPath)
    }

    /// Starts `lifeboat`, runs `body` with the child, and kills the child (SIGKILL) if it is still running
    /// when `body` returns or throws.
    public static func withStarted<T>(
        _ binary: String,
        _ args: [String],
        outputPath: String,
        environment: [String: String] = [:],
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Child) async throws -> T
    ) async throws -> T {
        let child = try start(binary, args, outputPath: outputPath, environment: environment)
        let result: T
        do {
            result = try await body(child)
        } catch {
            try? await child.kill()
            throw error
        }
        try await child.kill()
        return result
    }

    /// Runs `lifeboat` to the end; returns its status and output.
    public static func run(
        _ binary: String,
        _ args: [String],
        outputPath: String,
        environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String) {
        let child = try start(binary, args, outputPath: outputPath, environment: environment)
        let status = try await child.wait()
        return (status, child.output)
    }
}

/// `kill(2)` under a name that the `kill()` methods above do not shadow.
private func sendSignal(_ pid: Int32, _ signal: Int32) {
    _ = kill(pid, signal)
}
