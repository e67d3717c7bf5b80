import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Google Cloud Storage emulator on loopback: `gcp-storage-emulator start --in-memory` on a free 127.0.0.1
/// port, with one bucket, for the tests (`ObjectStorageTesting` re-exports it).
///
/// Use `withEmulator`, which stops the server when the body ends, even on error; a small watcher also kills it
/// when the test process is gone.
///
/// ```swift
/// try await GCSEmulator.withEmulator(bucket: "b") { emulator in
///     let store = try emulator.makeStore(logger: logger)
/// }
/// ```
public final class GCSEmulator: Sendable {
    /// `http://127.0.0.1:PORT`, what `STORAGE_EMULATOR_HOST` would be.
    public let endpoint: String
    public let port: Int
    /// The bucket created at start (`--default-bucket`).
    public let bucket: String
    private let process: Process
    /// The emulator's process id (killed with SIGKILL: test processes may block SIGTERM in children).
    private let serverPID: Int32

    private init(process: Process, port: Int, bucket: String, serverPID: Int32) {
        self.process = process
        self.serverPID = serverPID
        self.port = port
        self.bucket = bucket
        self.endpoint = "http://127.0.0.1:\(port)"
    }

    /// Runs `body` with a new emulator holding `bucket`, and stops the emulator afterwards.
    public static func withEmulator<T>(
        bucket: String = "lifeboat-test",
        isolation: isolated (any Actor)? = #isolation,
        _ body: (GCSEmulator) async throws -> T
    ) async throws -> T {
        let emulator = try await start(bucket: bucket)
        do {
            let result = try await body(emulator)
            emulator.stop()
            return result
        } catch {
            emulator.stop()
            throw error
        }
    }

    /// Starts a new emulator (prefer `withEmulator`); it is stopped by `stop()` or when this process exits.
    /// - Throws: when `gcp-storage-emulator` is not on PATH (`make test` installs it) or does not come up.
    public static func start(bucket: String = "lifeboat-test") async throws -> GCSEmulator {
        guard let binary = MotoServer.findOnPath("gcp-storage-emulator") else {
            throw LocalServerError(
                "gcp-storage-emulator not found on PATH; `make test` installs it (pip install gcp-storage-emulator)"
            )
        }
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The shell prints the emulator's pid, then watches this test process and SIGKILLs the emulator once it
        // is gone, so no server outlives the tests. (Children inherit a signal mask that blocks SIGTERM.)
        process.arguments = [
            "-c",
            "\"$0\" start --host 127.0.0.1 --port \"$1\" --in-memory --default-bucket \"$3\" -q "
                + "</dev/null >/dev/null 2>&1 & m=$!; echo $m; exec >/dev/null; "
                + "while kill -0 \"$2\" 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 1; done; "
                + "kill -9 $m 2>/dev/null",
            binary, "\(port)", "\(getpid())", bucket,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        guard let serverPID = Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw LocalServerError("could not start gcp-storage-emulator (no pid from the launcher: \(line))")
        }
        let server = GCSEmulator(process: process, port: port, bucket: bucket, serverPID: serverPID)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if canConnect(port: port) { return server }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        throw LocalServerError("gcp-storage-emulator did not start listening on 127.0.0.1:\(port) within 30 s")
    }

    /// Stops the emulator (and its watcher).
    public func stop() {
        kill(serverPID, SIGKILL)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
