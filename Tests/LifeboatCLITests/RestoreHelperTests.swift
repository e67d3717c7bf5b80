import Foundation
import KubeSandboxTesting
import ProcessTesting
import Testing

/// `lifeboat restore-helper <uid>`: Velero's restore helper semantics on real folders.
struct RestoreHelperTests {
    /// Starts the helper on `root` (polling every 20 ms) and runs `body` with it.
    static func withHelper(
        root: URL,
        uid: String,
        _ body: (LifeboatProcess.Child) async throws -> Void
    ) async throws {
        let binary = try LifeboatProcess.require()
        let output = root.deletingLastPathComponent().appendingPathComponent("helper.log").path
        try await LifeboatProcess.withStarted(
            binary,
            ["restore-helper", uid, "--restores-root", root.path, "--interval-milliseconds", "20"],
            outputPath: output,
            body
        )
    }

    @Test func waitsForEveryVolumesMarkerThenCleansUp() async throws {
        try await withTemporaryDirectory(prefix: "lifeboat-helper") { directory in
            let root = directory.appendingPathComponent("restores")
            let manager = FileManager.default
            for volume in ["data", "logs"] {
                try manager.createDirectory(
                    at: root.appendingPathComponent("\(volume)/.velero"),
                    withIntermediateDirectories: true
                )
            }
            try Data().write(to: root.appendingPathComponent("0-stray-file"))
            try Data().write(to: root.appendingPathComponent("data/.velero/uid-1"))
            try Data("app data".utf8).write(to: root.appendingPathComponent("data/file.txt"))
            try await Self.withHelper(root: root, uid: "uid-1") { helper in
                // It reports the missing marker of `logs` while it waits.
                try await waitUntil("the helper reports the missing marker") {
                    helper.output.contains("restores/logs/.velero/uid-1 is not found yet. Retry later.")
                }
                #expect(helper.isRunning)
                // Velero reads the folder in name order: the stray file comes first.
                #expect(helper.output.contains("0-stray-file is not a directory, skipping."))
                // A marker of another restore does not count.
                try Data().write(to: root.appendingPathComponent("logs/.velero/uid-0"))
                try Data().write(to: root.appendingPathComponent("logs/.velero/uid-1"))
                let status = try await helper.wait(timeout: .seconds(60))
                #expect(status == 0, "\(helper.output)")
                #expect(helper.output.contains("Found the done file \(root.path)/data/.velero/uid-1"))
                #expect(helper.output.contains("All restic restores are done"))
                #expect(helper.output.contains("Done cleanup .velero folder"))
            }
            #expect(!manager.fileExists(atPath: root.appendingPathComponent("data/.velero").path))
            #expect(!manager.fileExists(atPath: root.appendingPathComponent("logs/.velero").path))
            #expect(manager.fileExists(atPath: root.appendingPathComponent("data/file.txt").path))
        }
    }

    @Test func sigtermEndsTheWait() async throws {
        try await withTemporaryDirectory(prefix: "lifeboat-helper") { directory in
            let root = directory.appendingPathComponent("restores")
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent("data"),
                withIntermediateDirectories: true
            )
            try await Self.withHelper(root: root, uid: "uid-1") { helper in
                try await waitUntil("the helper is waiting") { helper.output.contains("Retry later.") }
                helper.terminate()
                let status = try await helper.wait(timeout: .seconds(60))
                #expect(status == 143, "\(helper.output)")
            }
        }
    }
}
