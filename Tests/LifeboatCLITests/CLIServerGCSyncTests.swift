import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// `lifeboat server` as a child process against the sandbox: expired backups are garbage-collected from the location
/// and the cluster, a second cluster pointed at the same location sees its backups, and locations are validated.
@Suite struct CLIServerGCSyncTests {
    static let backups = GroupVersionResource(group: "velero.io", version: "v1", resource: "backups")
    static let locations = GroupVersionResource(group: "velero.io", version: "v1", resource: "backupstoragelocations")
    static let requests = GroupVersionResource(group: "velero.io", version: "v1", resource: "deletebackuprequests")

    /// Runs `lifeboat server arguments…` against the sandbox of `kubeconfig` while `body` runs; on failure the
    /// server's last log lines are recorded.
    static func withServer(
        _ env: CLIEnvironment,
        kubeconfig: String? = nil,
        log: String = "server.log",
        _ arguments: [String],
        environment: [String: String] = [:],
        _ body: () async throws -> Void
    ) async throws {
        var variables = environment
        variables["KUBECONFIG"] = kubeconfig ?? env.directory.appendingPathComponent("kubeconfig").path
        try await LifeboatProcess.withStarted(
            env.binary,
            ["server", "--leader-elect", "false", "--log-level", "debug", "--metrics-address", "127.0.0.1:0"]
                + arguments,
            outputPath: env.directory.appendingPathComponent(log).path,
            environment: variables
        ) { server in
            do {
                try await body()
            } catch {
                let tail = server.output.split(separator: "\n").suffix(40).joined(separator: "\n")
                Issue.record(Comment(rawValue: "the server's log:\n\(tail)"))
                throw error
            }
        }
    }

    static func exists(_ client: KubeClient, _ resource: GroupVersionResource, _ name: String) async throws -> Bool {
        do {
            _ = try await client.get(resource, namespace: "velero", name: name)
            return true
        } catch let error as KubeError where error.code == .notFound {
            return false
        }
    }

    @Test func aBackupWithATenSecondTTLIsGarbageCollected() async throws {
        try await CLIEnvironment.with { env in
            try await env.backUpApp("kept")
            try await Self.withServer(
                env,
                ["--garbage-collection-frequency", "2s", "--store-validation-frequency", "1s"]
            ) {
                var backup = KubeObject(apiVersion: "velero.io/v1", kind: "Backup", namespace: "velero", name: "short")
                backup["spec"] = ["includedNamespaces": ["app"], "ttl": "10s"]
                _ = try await env.client.create(Self.backups, backup)
                try await waitUntil("backup short Completed") {
                    try await env.client.get(Self.backups, namespace: "velero", name: "short")["status"]?["phase"]
                        == "Completed"
                }
                let folder = env.bucket.appendingPathComponent("backups/short")
                #expect(FileManager.default.fileExists(atPath: folder.path))
                try await waitUntil("backup short gone from the cluster", timeout: .seconds(90)) {
                    try await !Self.exists(env.client, Self.backups, "short")
                }
                #expect(!FileManager.default.fileExists(atPath: folder.path))
                try await waitUntil("its DeleteBackupRequest removed") {
                    try await env.client.list(Self.requests, namespace: "velero").items.isEmpty
                }
            }
            // The backup without a TTL of its own (720h) stays, in the cluster and the location.
            #expect(try await Self.exists(env.client, Self.backups, "kept"))
            #expect(FileManager.default.fileExists(atPath: env.bucket.appendingPathComponent("backups/kept").path))
            let get = try await env.lifeboat("backup", "get")
            #expect(!get.output.contains("short"))
        }
    }

    @Test func aSecondClusterOnTheSameLocationListsEveryBackupWithinOneSyncPeriod() async throws {
        try await CLIEnvironment.with { env in
            try await env.backUpApp("one")
            let two = try await env.lifeboat("backup", "create", "two", "--include-namespaces", "app")
            try #require(two.status == 0, "\(two.output)")
            try await withSandbox { sandbox, other in
                let kubeconfig = env.directory.appendingPathComponent("kubeconfig-2").path
                try sandbox.writeKubeconfig(to: kubeconfig)
                try await other.createNamespaceAndWait("velero")
                try await Self.withServerOnSecondSandbox(env, other, kubeconfig: kubeconfig)
            }
        }
    }

    /// Points the second sandbox at the first one's location, runs a server there with the default one-minute sync
    /// period, and waits (at most that minute) for both backups.
    static func withServerOnSecondSandbox(_ env: CLIEnvironment, _ other: KubeClient, kubeconfig: String) async throws {
        var location = KubeObject(
            apiVersion: "velero.io/v1",
            kind: "BackupStorageLocation",
            namespace: "velero",
            name: "shared"
        )
        location["spec"] = [
            "provider": "filesystem", "default": true, "objectStorage": ["bucket": .string(env.bucket.path)],
        ]
        _ = try await other.create(Self.locations, location)
        try await Self.withServer(env, kubeconfig: kubeconfig, log: "server-2.log", ["--backup-sync-period", "1m"]) {
            try await waitUntil("both backups synced", timeout: .seconds(60)) {
                let names = try await other.list(Self.backups, namespace: "velero").items.compactMap(\.name)
                return Set(names).isSuperset(of: ["one", "two"])
            }
            for name in ["one", "two"] {
                let backup = try await other.get(Self.backups, namespace: "velero", name: name)
                #expect(backup.labels["velero.io/storage-location"] == "shared")
                #expect(backup["spec"]?["storageLocation"]?.stringValue == "shared")
                #expect(backup["status"]?["phase"]?.stringValue == "Completed")
            }
        }
    }

    @Test func locationsBecomeAvailableOrUnavailableWithTheError() async throws {
        try await CLIEnvironment.with { env in
            let file = env.directory.appendingPathComponent("a-file")
            try Data("x".utf8).write(to: file)
            let specs: [(String, JSONValue)] = [
                ("good", ["provider": "filesystem", "objectStorage": ["bucket": .string(env.bucket.path)]]),
                (
                    "missing-folder",
                    [
                        "provider": "filesystem",
                        "objectStorage": ["bucket": .string(file.appendingPathComponent("bucket").path)],
                    ]
                ),
                (
                    "unreachable",
                    [
                        "provider": "aws", "objectStorage": ["bucket": "lifeboat"],
                        "config": ["region": "us-east-1", "s3ForcePathStyle": "true", "s3Url": "http://127.0.0.1:1"],
                    ]
                ),
            ]
            for (name, spec) in specs {
                var location = KubeObject(
                    apiVersion: "velero.io/v1",
                    kind: "BackupStorageLocation",
                    namespace: "velero",
                    name: name
                )
                location["spec"] = spec
                _ = try await env.client.create(Self.locations, location)
            }
            let credentials = ["AWS_ACCESS_KEY_ID": "lifeboat", "AWS_SECRET_ACCESS_KEY": "lifeboat-secret"]
            try await Self.withServer(env, ["--store-validation-frequency", "1m"], environment: credentials) {
                for (name, phase) in [
                    ("good", "Available"), ("missing-folder", "Unavailable"), ("unreachable", "Unavailable"),
                ] {
                    try await waitUntil("location \(name) \(phase)", timeout: .seconds(90)) {
                        try await env.client.get(Self.locations, namespace: "velero", name: name)["status"]?["phase"]
                            == .string(phase)
                    }
                }
            }
            for name in ["missing-folder", "unreachable"] {
                let status = try await env.client.get(Self.locations, namespace: "velero", name: name)["status"]
                let message = status?["message"]?.stringValue ?? ""
                #expect(message.hasPrefix("BackupStorageLocation \"\(name)\" is unavailable: "), "\(message)")
                #expect(status?["lastValidationTime"]?.stringValue != nil)
            }
            var messages: [String] = []
            for name in ["missing-folder", "unreachable"] {
                let status = try await env.client.get(Self.locations, namespace: "velero", name: name)["status"]
                messages.append(status?["message"]?.stringValue ?? "")
            }
            #expect(messages[0].contains("cannot create folder \(file.path): a file is in the way"), "\(messages[0])")
            #expect(messages[1].contains("127.0.0.1"), "\(messages[1])")
            let good = try await env.client.get(Self.locations, namespace: "velero", name: "good")["status"]
            #expect(good?["message"] == nil)
            #expect(good?["lastValidationTime"]?.stringValue != nil)
        }
    }
}
