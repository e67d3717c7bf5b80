import Foundation
import KubeSandboxTesting
import ProcessTesting

/// Writes a gzip tarball with the system `tar` (GNU tar, PAX format, files only — as Go's
/// `archive/tar` writes Velero's), independent of Lifeboat's own archive writer.
enum SystemTarball {
    /// - Parameter entries: paths inside the archive and their contents, in archive order.
    static func make(_ entries: [(path: String, bytes: [UInt8])]) async throws -> [UInt8] {
        let tar = try ChildProcess.find("tar")
        return try await withTemporaryDirectory(prefix: "velero-fixture") { root in
            let files = root.appendingPathComponent("files")
            for entry in entries {
                let url = files.appendingPathComponent(entry.path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(),
                    withIntermediateDirectories: true
                )
                try Data(entry.bytes).write(to: url)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
            }
            let list = root.appendingPathComponent("list")
            try Data(entries.map(\.path).joined(separator: "\n").utf8).write(to: list)
            let output = root.appendingPathComponent("out.tar.gz")
            let result = try await ChildProcess.run(
                tar,
                ["--format=pax", "--no-recursion", "-czf", output.path, "-C", files.path, "-T", list.path]
            )
            guard result.status == 0 else {
                throw RestoreHarnessError("tar exited with \(result.status): \(result.stderr)")
            }
            return Array(try Data(contentsOf: output))
        }
    }
}
