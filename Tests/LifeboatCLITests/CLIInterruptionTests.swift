import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Interrupted runs as a user meets them (issue 23): Ctrl-C or SIGTERM during `backup create` / `restore create`
/// stops the run gracefully and says what was cleaned up; a run killed with -9 is cleaned up by `backup delete`;
/// the retry of the same name succeeds.
///
/// The window for the signal is widened with `--client-qps 5 --client-burst 1 --page-size 1` and a namespace of
/// ConfigMaps: the child lists page by page at five requests a second, so the signal lands while the run is in
/// progress (the test waits for the Backup or Restore resource to be `InProgress` before sending it).
@Suite(.timeLimit(.minutes(5)))
struct CLIInterruptionTests {
    static let backups = GroupVersionResource(group: "velero.io", version: "v1", resource: "backups")
    static let restores = GroupVersionResource(group: "velero.io", version: "v1", resource: "restores")
    /// Arguments that make a run slow enough to interrupt.
    static let slow = ["--client-qps", "5", "--client-burst", "1"]

    /// Creates the `default` location and namespace `app` with `count` ConfigMaps.
    static func prepare(_ cli: CLIEnvironment, configMaps count: Int = 40) async throws {
        let location = try await cli.lifeboat(
            "backup-location",
            "create",
            "default",
            "--provider",
            "filesystem",
            "--bucket",
            cli.bucket.path,
            "--default"
        )
        try #require(location.status == 0, "backup-location create: \(location.output)")
        try await cli.client.createNamespaceAndWait("app")
        for index in 0..<count {
            var configMap = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "app", name: "cm-\(index)")
            configMap["data"] = ["index": .string("\(index)")]
            _ = try await cli.client.create(.configMaps, configMap)
        }
    }

    /// Starts `lifeboat arguments…` in the background with the environment of ``CLIEnvironment/lifeboat(_:)``.
    static func withStarted<T>(
        _ cli: CLIEnvironment,
        _ arguments: [String],
        _ body: (LifeboatProcess.Child) async throws -> T
    ) async throws -> T {
        try await LifeboatProcess.withStarted(
            cli.binary,
            arguments,
            outputPath: cli.directory.appendingPathComponent("child-\(UUID().uuidString).log").path,
            environment: [
                "KUBECONFIG": cli.directory.appendingPathComponent("kubeconfig").path,
                "HOME": cli.directory.path,
            ],
            body
        )
    }

    /// The phase of `resource` `name` in namespace velero, or `nil` when it does not exist.
    static func phase(_ cli: CLIEnvironment, _ resource: GroupVersionResource, _ name: String) async throws -> String? {
        do {
            return try await cli.client.get(resource, namespace: "velero", name: name)["status"]?["phase"]?.stringValue
        } catch let error as KubeError where error.code == .notFound {
            return nil
        }
    }

    /// Waits until `resource` `name` is `InProgress` while the child runs.
    static func waitInProgress(
        _ cli: CLIEnvironment,
        _ resource: GroupVersionResource,
        _ name: String,
        child: LifeboatProcess.Child
    ) async throws {
        try await waitUntil("\(resource.resource) \(name) InProgress", timeout: .seconds(120)) {
            guard child.isRunning else {
                Issue.record("the run ended before it could be interrupted:\n\(child.output)")
                return true
            }
            return try await phase(cli, resource, name) == "InProgress"
        }
    }

    /// The leftovers of a run in the bucket: claims and temporary files, as paths relative to the bucket.
    static func leftovers(in bucket: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: bucket.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter {
            let file = ($0 as NSString).lastPathComponent
            return file == "lifeboat-claim.json" || file.hasPrefix(".lifeboat-tmp-")
        }
    }

    @Test(arguments: [(SIGINT, Int32(130), "SIGINT"), (SIGTERM, Int32(143), "SIGTERM")])
    func signalDuringBackupCreateCleansUp(signal: Int32, exitCode: Int32, signalName: String) async throws {
        try await CLIEnvironment.with { cli in
            try await Self.prepare(cli)
            let args = ["backup", "create", "b1", "--include-namespaces", "app", "--page-size", "1"] + Self.slow
            let (status, output) = try await Self.withStarted(cli, args) { child in
                try await Self.waitInProgress(cli, Self.backups, "b1", child: child)
                #expect(!Self.leftovers(in: cli.bucket).isEmpty, "the running backup holds a claim")
                child.send(signal)
                let status = try await child.wait(timeout: .seconds(60))
                return (status, child.output)
            }
            #expect(status == exitCode, "\(output)")
            let lines = output.split(separator: "\n").filter { $0.contains("Interrupted") }
            #expect(lines.count == 1, "one line says it was interrupted:\n\(output)")
            #expect(
                lines.first?.contains("Interrupted by \(signalName): backup b1 was interrupted") == true,
                "\(output)"
            )
            #expect(lines.first?.contains("marked the Backup Failed, removed its claim") == true, "\(output)")
            #expect(!output.contains("Backup completed"), "\(output)")

            let backup = try await cli.client.get(Self.backups, namespace: "velero", name: "b1")
            #expect(backup["status"]?["phase"] == "Failed", "\(backup)")
            #expect(backup["status"]?["failureReason"]?.stringValue?.hasPrefix("interrupted") == true, "\(backup)")
            #expect(Self.leftovers(in: cli.bucket).isEmpty, "\(Self.leftovers(in: cli.bucket))")
            #expect(
                !FileManager.default.fileExists(atPath: cli.bucket.appendingPathComponent("backups/b1").path),
                "no partial objects"
            )

            // The retry of the same name succeeds and replaces the Failed resource.
            let retry = try await cli.lifeboat("backup", "create", "b1", "--include-namespaces", "app")
            #expect(retry.status == 0, "\(retry.output)")
            #expect(try await Self.phase(cli, Self.backups, "b1") == "Completed")
        }
    }

    @Test func killedBackupIsCleanedUpByBackupDelete() async throws {
        try await CLIEnvironment.with { cli in
            try await Self.prepare(cli)
            let args = ["backup", "create", "b1", "--include-namespaces", "app", "--page-size", "1"] + Self.slow
            try await Self.withStarted(cli, args) { child in
                try await Self.waitInProgress(cli, Self.backups, "b1", child: child)
                // A live run's files are not deleted from under it.
                let refused = try await cli.lifeboat("backup", "delete", "b1", "--confirm")
                #expect(refused.status == 1, "\(refused.output)")
                #expect(refused.stderr.contains("being written by a running backup (process"), "\(refused.output)")
                try await child.kill()
            }
            #expect(Self.leftovers(in: cli.bucket).contains("backups/b1/lifeboat-claim.json"), "kill -9 leaves it")
            #expect(try await Self.phase(cli, Self.backups, "b1") == "InProgress")

            let deleted = try await cli.lifeboat("backup", "delete", "b1", "--confirm")
            #expect(deleted.status == 0, "\(deleted.output)")
            #expect(Self.leftovers(in: cli.bucket).isEmpty, "\(Self.leftovers(in: cli.bucket))")
            #expect(!FileManager.default.fileExists(atPath: cli.bucket.appendingPathComponent("backups/b1").path))
            #expect(try await Self.phase(cli, Self.backups, "b1") == nil, "the Backup resource is deleted")

            let retry = try await cli.lifeboat("backup", "create", "b1", "--include-namespaces", "app")
            #expect(retry.status == 0, "\(retry.output)")
            #expect(try await Self.phase(cli, Self.backups, "b1") == "Completed")
        }
    }

    @Test func sigintDuringRestoreCreateMarksItFailed() async throws {
        try await CLIEnvironment.with { cli in
            try await Self.prepare(cli)
            let backup = try await cli.lifeboat("backup", "create", "b1", "--include-namespaces", "app")
            try #require(backup.status == 0, "\(backup.output)")
            let args =
                [
                    "restore", "create", "r1", "--from-backup", "b1", "--namespace-mappings", "app:copy",
                    "--parallelism", "1",
                ] + Self.slow
            let (status, output) = try await Self.withStarted(cli, args) { child in
                try await Self.waitInProgress(cli, Self.restores, "r1", child: child)
                child.send(SIGINT)
                let status = try await child.wait(timeout: .seconds(60))
                return (status, child.output)
            }
            #expect(status == 130, "\(output)")
            let lines = output.split(separator: "\n").filter { $0.contains("Interrupted") }
            #expect(lines.count == 1, "\(output)")
            #expect(lines.first?.contains("Interrupted by SIGINT: restore r1 was interrupted") == true, "\(output)")
            let restore = try await cli.client.get(Self.restores, namespace: "velero", name: "r1")
            #expect(restore["status"]?["phase"] == "Failed", "\(restore)")
            #expect(restore["status"]?["failureReason"]?.stringValue?.hasPrefix("interrupted") == true, "\(restore)")
            #expect(
                !FileManager.default.fileExists(atPath: cli.bucket.appendingPathComponent("restores/r1").path),
                "no results are written"
            )

            let retry = try await cli.lifeboat(
                "restore",
                "create",
                "r1",
                "--from-backup",
                "b1",
                "--namespace-mappings",
                "app:copy"
            )
            #expect(retry.status == 0, "\(retry.output)")
            #expect(try await Self.phase(cli, Self.restores, "r1") == "Completed")
        }
    }
}
