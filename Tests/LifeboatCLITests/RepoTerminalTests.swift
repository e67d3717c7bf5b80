import Foundation
import KubeSandboxTesting
import ProcessTesting
import Testing

/// `lifeboat repo backup` and `repo restore` run on a terminal (a pseudo-terminal opened by util-linux `script`),
/// where the progress printer runs: the command must end with exit 0 and its summary once the work ends.
@Suite(.timeLimit(.minutes(5)))
struct RepoTerminalTests {
    /// `value` quoted for `sh -c`.
    static func shellQuoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Runs `lifeboat arguments…` with its stdout and stderr on a pseudo-terminal (`script -qec`), the password in
    /// `RESTIC_PASSWORD`; the result's stdout is everything the terminal showed.
    static func onTerminal(_ arguments: [String], home: URL) async throws -> ChildProcess.Result {
        let binary = try LifeboatProcess.require()
        let script = try ChildProcess.find("script")
        let command = ([binary] + arguments).map(shellQuoted).joined(separator: " ")
        return try await ChildProcess.run(
            script,
            ["-qec", command, "/dev/null"],
            environment: ["RESTIC_PASSWORD": "terminal-test", "HOME": home.path, "PATH": "/usr/bin:/bin"],
            inheritEnvironment: false,
            timeout: .seconds(120)
        )
    }

    @Test func repoBackupAndRestoreOnATerminalEndCleanly() async throws {
        _ = try ChildProcess.find("script")
        try await withTemporaryDirectory(prefix: "lifeboat-tty") { directory in
            let repo = directory.appendingPathComponent("repo").path
            let source = directory.appendingPathComponent("source")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            try Data("hello from a terminal\n".utf8).write(to: source.appendingPathComponent("note.txt"))

            let initialized = try await Self.onTerminal(["repo", "init", "--repo", repo], home: directory)
            try #require(initialized.status == 0, "repo init: \(initialized.output)")

            let backup = try await Self.onTerminal(["repo", "backup", "--repo", repo, source.path], home: directory)
            #expect(backup.status == 0, "repo backup: \(backup.output)")
            #expect(!backup.output.contains("CancellationError"), "\(backup.output)")
            #expect(!backup.output.contains("Error:"), "\(backup.output)")
            // The printer ran: it clears its line when the work ends.
            #expect(backup.stdout.contains("\r\u{1b}[K"), "not on a terminal: \(backup.output)")
            #expect(backup.stdout.contains("snapshot"), "\(backup.output)")

            let target = directory.appendingPathComponent("target").path
            let restore = try await Self.onTerminal(
                ["repo", "restore", "--repo", repo, "--target", target, "latest"],
                home: directory
            )
            #expect(restore.status == 0, "repo restore: \(restore.output)")
            #expect(!restore.output.contains("CancellationError"), "\(restore.output)")
            #expect(!restore.output.contains("Error:"), "\(restore.output)")
            #expect(restore.stdout.contains("\r\u{1b}[K"), "not on a terminal: \(restore.output)")
            let restored = try String(
                contentsOfFile: target + source.path + "/note.txt",
                encoding: .utf8
            )
            #expect(restored == "hello from a terminal\n")
        }
    }
}
