import Foundation
import ObjectStorageTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `lifeboat` executable as a child process (the reliability tests kill it).
enum LifeboatProcess {
    /// The `lifeboat` binary of the same build as the test bundle (`.build/<config>/lifeboat`).
    static var path: String? {
        var dirs: [String] = []
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent().path) }
        dirs.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
        for bundle in Bundle.allBundles { dirs.append(bundle.bundleURL.deletingLastPathComponent().path) }
        dirs.append(FileManager.default.currentDirectoryPath + "/.build/debug")
        return dirs.map { $0 + "/lifeboat" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The binary, or a recorded issue saying how to build it.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        guard let path else {
            Issue.record("the lifeboat executable is not built next to the test bundle; run `swift build --build-tests`", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        return path
    }

    /// A started child whose output goes to a file.
    struct Child {
        let process: Process
        let outputPath: String

        var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

        /// Sends SIGKILL (if still running) and waits for the process to end.
        func kill() async throws {
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
            _ = try await wait()
        }

        /// Waits for the end (off the cooperative pool); returns the exit status (or 128 + signal).
        func wait() async throws -> Int32 {
            let process = self.process
            return try await offCooperativePool {
                process.waitUntilExit()
                return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
            }
        }
    }

    /// Starts `lifeboat` with `args`; stdout and stderr go to `outputPath`.
    static func start(_ binary: String, _ args: [String], outputPath: String, environment: [String: String] = [:]) throws -> Child {
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

    /// Runs `lifeboat` to the end; returns its status and output.
    static func run(_ binary: String, _ args: [String], outputPath: String) async throws -> (status: Int32, output: String) {
        let child = try start(binary, args, outputPath: outputPath)
        let status = try await child.wait()
        return (status, child.output)
    }
}
