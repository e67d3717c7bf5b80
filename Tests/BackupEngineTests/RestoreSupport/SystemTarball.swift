import Foundation
import ObjectStorageTesting

/// Writes a gzip tarball with the system `tar` (GNU tar, PAX format, files only — as Go's
/// `archive/tar` writes Velero's), independent of Lifeboat's own archive writer.
enum SystemTarball {
    /// - Parameter entries: paths inside the archive and their contents, in archive order.
    static func make(_ entries: [(path: String, bytes: [UInt8])]) async throws -> [UInt8] {
        guard let tar = ["/usr/bin/tar", "/bin/tar"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw RestoreHarnessError("the system tar is missing (`make test` installs the test tools)")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("velero-fixture-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let files = root.appendingPathComponent("files")
        for entry in entries {
            let url = files.appendingPathComponent(entry.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(entry.bytes).write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
        let list = root.appendingPathComponent("list")
        try Data(entries.map(\.path).joined(separator: "\n").utf8).write(to: list)
        let output = root.appendingPathComponent("out.tar.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tar)
        process.arguments = ["--format=pax", "--no-recursion", "-czf", output.path, "-C", files.path, "-T", list.path]
        try process.run()
        _ = try await offCooperativePool { process.waitUntilExit() }
        guard process.terminationStatus == 0 else { throw RestoreHarnessError("tar exited with \(process.terminationStatus)") }
        return Array(try Data(contentsOf: output))
    }
}
