import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real S3 server on loopback: `moto_server` on a free 127.0.0.1 port, for the backup benchmark and the
/// tests (`ObjectStorageTesting` re-exports it).
///
/// One server is shared by every test of a process (`MotoServer.shared()`); it is started on first
/// use and stops when the test process exits (a small watcher kills it when its parent is gone).
/// Tests isolate themselves by using their own bucket.
///
/// ```swift
/// let moto = try await MotoServer.shared()
/// let store = try await moto.makeStore(bucket: "test-\(UUID())")
/// ```
public final class MotoServer: Sendable {
    /// `http://127.0.0.1:PORT`.
    public let endpoint: String
    public let port: Int
    private let process: Process
    /// The moto_server process id (killed with SIGKILL: test processes may block SIGTERM in children).
    private let serverPID: Int32

    /// moto accepts any credentials.
    public static let accessKeyID = "AKIAMOTOTESTING00000"
    public static let secretAccessKey = "moto-secret-key-for-tests"

    private static let instance = Mutex<MotoServer?>(nil)
    private static let starting = Mutex(false)

    private init(process: Process, port: Int, serverPID: Int32) {
        self.process = process
        self.serverPID = serverPID
        self.port = port
        self.endpoint = "http://127.0.0.1:\(port)"
    }

    /// The server shared by this test process, started on first call.
    /// - Throws: when `moto_server` is not on PATH (`make test` installs it) or does not come up.
    public static func shared() async throws -> MotoServer {
        while true {
            if let server = instance.withLock({ $0 }) { return server }
            let mine = starting.withLock { busy -> Bool in
                if busy { return false }
                busy = true
                return true
            }
            if mine {
                defer { starting.withLock { $0 = false } }
                let server = try await start()
                instance.withLock { $0 = server }
                return server
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Starts a new server (prefer `shared()`); it is stopped by `stop()` or when this process exits.
    public static func start() async throws -> MotoServer {
        guard let binary = findOnPath("moto_server") else {
            throw LocalServerError(
                "moto_server not found on PATH; `make test` installs it (pip install 'moto[server]')"
            )
        }
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The shell prints moto's pid, then watches this test process and SIGKILLs moto once it is gone,
        // so no server outlives the tests. (Children inherit a signal mask that blocks SIGTERM.)
        process.arguments = [
            "-c",
            "\"$0\" -H 127.0.0.1 -p \"$1\" </dev/null >/dev/null 2>&1 & m=$!; echo $m; exec >/dev/null; "
                + "while kill -0 \"$2\" 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 1; done; "
                + "kill -9 $m 2>/dev/null",
            binary, "\(port)", "\(getpid())",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        guard let serverPID = Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw LocalServerError("could not start moto_server (no pid from the launcher: \(line))")
        }
        let server = MotoServer(process: process, port: port, serverPID: serverPID)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if canConnect(port: port) { return server }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        throw LocalServerError("moto_server did not start listening on 127.0.0.1:\(port) within 30 s")
    }

    /// Stops the server (and its watcher).
    public func stop() {
        kill(serverPID, SIGKILL)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// The full path of executable `name` on PATH, or `nil`.
    public static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
