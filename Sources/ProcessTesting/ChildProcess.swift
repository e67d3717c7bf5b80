public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program to its end as a child process, with arguments, environment, standard input and a working
/// folder, and captures what it wrote to stdout and stderr (read concurrently, so neither pipe fills up).
///
/// The wait happens off the cooperative pool (see ``offCooperativePool(_:)``). With a `timeout` the child is
/// killed (SIGKILL) at the deadline and the result says so.
///
/// ```swift
/// let tar = try ChildProcess.find("tar")
/// let result = try await ChildProcess.run(tar, ["-czf", out, "-C", folder, "."])
/// #expect(result.status == 0, "\(result.stderr)")
/// ```
public enum ChildProcess {
    /// How a child ended and what it wrote.
    public struct Result: Sendable {
        /// The exit status, or 128 + the signal number when a signal ended it (as a shell reports it).
        public var status: Int32
        /// The raw bytes written to stdout.
        public var stdoutData: Data
        /// The raw bytes written to stderr.
        public var stderrData: Data
        /// Whether the child was killed because it ran past the timeout.
        public var timedOut: Bool

        /// stdout as UTF-8 text.
        public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
        /// stderr as UTF-8 text.
        public var stderr: String { String(decoding: stderrData, as: UTF8.self) }
        /// stdout followed by stderr, for failure messages.
        public var output: String { stdout + stderr }
    }

    /// Runs `executable` with `arguments` to its end.
    ///
    /// - Parameters:
    ///   - executable: the program's path (see ``find(_:)``).
    ///   - arguments: the arguments, without the program name.
    ///   - environment: variables set over this process's environment (or over nothing with
    ///     `inheritEnvironment: false`).
    ///   - inheritEnvironment: whether the child starts from this process's environment.
    ///   - input: bytes written to the child's stdin, which is then closed (default: empty stdin).
    ///   - directory: the child's working folder (default: this process's).
    ///   - timeout: the child is killed when it runs longer.
    /// - Returns: the exit status and the captured output.
    /// - Throws: when the program cannot be started.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        inheritEnvironment: Bool = true,
        input: Data? = nil,
        directory: URL? = nil,
        timeout: Duration? = nil
    ) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        let pid = process.processIdentifier
        let killedAtDeadline = Box(false)
        if let timeout {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                guard process.isRunning else { return }
                killedAtDeadline.value.withLock { $0 = true }
                _ = kill(pid, SIGKILL)
            }
        }
        let outHandle = stdout.fileHandleForReading
        let errHandle = stderr.fileHandleForReading
        let inHandle = stdin.fileHandleForWriting
        return try await offCooperativePool {
            // stdin is written on a thread of its own: a child may fill its stdout before reading all of it.
            Thread.detachNewThread {
                if let input { inHandle.write(input) }
                try? inHandle.close()
            }
            // stderr is read on another, so that neither pipe fills up while the other is read.
            let errors = Box(Data())
            let errorsRead = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                let data = errHandle.readDataToEndOfFile()
                errors.value.withLock { $0 = data }
                errorsRead.signal()
            }
            let out = outHandle.readDataToEndOfFile()
            errorsRead.wait()
            process.waitUntilExit()
            let status =
                process.terminationReason == .uncaughtSignal
                ? 128 + process.terminationStatus : process.terminationStatus
            return Result(
                status: status,
                stdoutData: out,
                stderrData: errors.value.withLock { $0 },
                timedOut: killedAtDeadline.value.withLock { $0 }
            )
        }
    }

    /// The full path of executable `name` on `PATH` (then `/usr/bin`, `/bin`).
    /// - Throws: ``ProcessTestingError`` naming the program and saying that `make test` installs the test tools.
    public static func find(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin"]
        for folder in folders {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ProcessTestingError("\(name) not found on PATH; `make test` installs the test tools")
    }
}

/// A value shared with the threads and the timer of one run.
private final class Box<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}
