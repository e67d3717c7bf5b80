import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// `lifeboat pod-volume backup|restore` as the node agent's hosting pod runs it, here as a host process
/// against a sandbox.
struct PodVolumeCommandTests {
    /// A PodVolumeBackup of volume `data` of pod `app/web` in location `default`, in `phase`.
    static func createPVB(_ env: CLIEnvironment, _ name: String, phase: String) async throws {
        var pvb = KubeObject(apiVersion: "velero.io/v1", kind: "PodVolumeBackup", namespace: "velero", name: name)
        pvb["spec"] = [
            "node": "node-1", "volume": "data", "backupStorageLocation": "default", "repoIdentifier": "",
            "uploaderType": "restic", "pod": ["kind": "Pod", "namespace": "app", "name": "web", "uid": "u1"],
        ]
        pvb["status"] = ["phase": .string(phase)]
        let resource = GroupVersionResource(group: "velero.io", version: "v1", resource: "podvolumebackups")
        _ = try await env.client.create(resource, pvb)
    }

    @Test func missingFlagsAreOneLineAndReachTheTerminationLog() async throws {
        try await CLIEnvironment.with { env in
            let log = env.directory.appendingPathComponent("termination-log").path
            let result = try await env.lifeboat("pod-volume", "backup", "--termination-log", log)
            let expected =
                #"Failed to create pod volume backup, required flag(s) "volume-path", "pod-volume-backup", "resource-timeout" not set"#
            #expect(result.status == 1)
            #expect(result.errorLines == [Substring(expected)], "\(result.output)")
            #expect(try String(contentsOfFile: log, encoding: .utf8) == expected)
        }
    }

    @Test func podVolumeIsHiddenFromTheHelp() async throws {
        try await CLIEnvironment.with { env in
            let help = try await env.lifeboat("--help")
            #expect(!help.output.contains("pod-volume"))
            let sub = try await env.lifeboat("pod-volume", "restore", "--help")
            #expect(sub.output.contains("--cache-volume-path") && sub.output.contains("--pod-volume-restore"))
        }
    }

    @Test func backupRunsToTheEndAndSigtermCancels() async throws {
        try await CLIEnvironment.with { env in
            let created = try await env.lifeboat(
                "backup-location",
                "create",
                "default",
                "--provider",
                "filesystem",
                "--bucket",
                env.bucket.path,
                "--default"
            )
            try #require(created.status == 0, "\(created.output)")
            let passwordFile = try env.write("password", "pw-cli")
            var secret = KubeObject(
                apiVersion: "v1",
                kind: "Secret",
                namespace: "velero",
                name: "velero-repo-credentials"
            )
            secret["data"] = ["repository-password": .string(Data("pw-cli".utf8).base64EncodedString())]
            _ = try await env.client.create(.secrets, secret)
            let repository = env.bucket.appendingPathComponent("restic/app").path
            let initialized = try await env.lifeboat("repo", "init", "-r", repository, "--password-file", passwordFile)
            try #require(initialized.status == 0, "\(initialized.output)")
            let volume = env.directory.appendingPathComponent("volume")
            try FileManager.default.createDirectory(at: volume, withIntermediateDirectories: true)
            try Data("payload".utf8).write(to: volume.appendingPathComponent("file.txt"))

            let environment = [
                "KUBECONFIG": env.directory.appendingPathComponent("kubeconfig").path, "VELERO_NAMESPACE": "velero",
                "NODE_NAME": "node-1",
            ]
            let log = env.directory.appendingPathComponent("termination-log").path
            try await Self.createPVB(env, "pvb-cli", phase: "InProgress")
            let arguments = [
                "pod-volume", "backup", "--volume-path=\(volume.path)", "--pod-volume-backup=pvb-cli",
                "--resource-timeout=1m", "--log-level=info", "--log-format=text", "--termination-log=\(log)",
            ]
            let output = env.directory.appendingPathComponent("output-1").path
            let binary = env.binary
            let (status, printed) = try await LifeboatProcess.run(
                binary,
                arguments,
                outputPath: output,
                environment: environment
            )
            #expect(status == 0, "\(printed)")
            let message = try String(contentsOfFile: log, encoding: .utf8)
            let result = try JSONValue(parsing: Array(message.utf8))
            #expect(result["snapshotID"]?.stringValue?.count == 64, "\(message)")
            #expect(result["source"]?["byPath"]?.stringValue == volume.path)

            // A load that never starts: SIGTERM stops the wait as a cancel.
            try await Self.createPVB(env, "pvb-term", phase: "Prepared")
            let waiting = arguments.map { $0 == "--pod-volume-backup=pvb-cli" ? "--pod-volume-backup=pvb-term" : $0 }
            let output2 = env.directory.appendingPathComponent("output-2").path
            try await LifeboatProcess.withStarted(binary, waiting, outputPath: output2, environment: environment) {
                child in
                try await waitUntil("the data mover waits for pvb-term") { child.output.contains("waiting for") }
                child.terminate()
                let code = try await child.wait()
                #expect(code == 1, "\(child.output)")
            }
            #expect(
                try String(contentsOfFile: log, encoding: .utf8)
                    == "Failed to run data path service for PVB pvb-term: error waiting for PVB: data path is canceled"
            )
        }
    }
}
