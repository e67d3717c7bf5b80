import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// `backup describe`, `restore describe` and `backup delete` with pod volume backups and restores.
struct PodVolumeDescribeTests {
    static let podVolumeBackups = GroupVersionResource(group: "velero.io", version: "v1", resource: "podvolumebackups")
    static let podVolumeRestores = GroupVersionResource(
        group: "velero.io",
        version: "v1",
        resource: "podvolumerestores"
    )
    static let restores = GroupVersionResource(group: "velero.io", version: "v1", resource: "restores")

    /// Runs `restic` on the repository at `path` with password `pw`.
    static func restic(_ path: String, _ arguments: [String]) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            try ChildProcess.find("restic"),
            ["-r", path, "--no-cache"] + arguments,
            environment: ["RESTIC_PASSWORD": "pw"],
            timeout: .seconds(120)
        )
    }

    /// A PodVolumeBackup of backup `b1` as the backup side writes it.
    static func podVolumeBackup(pod: String, volume: String, phase: String, snapshot: String, size: Int) -> JSONValue {
        [
            "apiVersion": "velero.io/v1", "kind": "PodVolumeBackup",
            "metadata": [
                "name": .string("b1-\(volume)"), "namespace": "velero", "labels": ["velero.io/backup-name": "b1"],
            ],
            "spec": [
                "node": "node-1", "pod": ["kind": "Pod", "namespace": "app", "name": .string(pod)],
                "volume": .string(volume), "backupStorageLocation": "default", "repoIdentifier": "local:x",
                "uploaderType": "restic",
            ],
            "status": [
                "phase": .string(phase), "snapshotID": .string(snapshot),
                "progress": ["totalBytes": .int(Int64(size)), "bytesDone": .int(Int64(size))],
            ],
        ]
    }

    @Test func backupDescribeShowsPodVolumesAndDeleteForgetsTheirSnapshots() async throws {
        try await CLIEnvironment.with { env in
            try await env.backUpApp("b1")
            // A repository for namespace `app` in the location with one snapshot, and its password Secret.
            let repository = env.bucket.appendingPathComponent("restic/app").path
            let data = env.directory.appendingPathComponent("volume")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try Data("content".utf8).write(to: data.appendingPathComponent("file.txt"))
            let initialized = try await Self.restic(repository, ["init"])
            try #require(initialized.status == 0, "\(initialized.output)")
            let backedUp = try await Self.restic(repository, ["backup", "--json", data.path])
            try #require(backedUp.status == 0, "\(backedUp.output)")
            let summary = backedUp.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
                .first { $0["message_type"] == "summary" }
            let snapshot = try #require(summary?["snapshot_id"]?.stringValue)
            var secret = KubeObject(
                apiVersion: "v1",
                kind: "Secret",
                namespace: "velero",
                name: "velero-repo-credentials"
            )
            secret["data"] = ["repository-password": .string(Data("pw".utf8).base64EncodedString())]
            _ = try await env.client.create(.secrets, secret)

            // The backup's pod volume backups, in the location as the backup writes them.
            let list: JSONValue = [
                Self.podVolumeBackup(pod: "web", volume: "data", phase: "Completed", snapshot: snapshot, size: 1024),
                Self.podVolumeBackup(pod: "db", volume: "pgdata", phase: "Failed", snapshot: "", size: 0),
            ]
            let gzip = try await ChildProcess.run(try ChildProcess.find("gzip"), ["-c"], input: Data(list.encoded()))
            try gzip.stdoutData.write(to: env.bucket.appendingPathComponent("backups/b1/b1-podvolumebackups.json.gz"))

            let brief = try await env.lifeboat("backup", "describe", "b1")
            #expect(brief.status == 0, "\(brief.output)")
            #expect(
                brief.stdout.contains(
                    """
                    Backup Volumes:
                      Pod Volume Backups - restic (specify --details for more information):
                        Completed:  1
                        Failed:     1

                    """
                ),
                "\(brief.stdout)"
            )
            let details = try await env.lifeboat("backup", "describe", "b1", "--details")
            #expect(
                details.stdout.contains(
                    """
                    Backup Volumes:
                      Pod Volume Backups - restic:
                        Completed:
                          app/web: data (size: 1024)
                        Failed:
                          app/db: pgdata

                    """
                ),
                "\(details.stdout)"
            )

            let deleted = try await env.lifeboat("backup", "delete", "b1", "--confirm")
            #expect(deleted.status == 0, "\(deleted.output)")
            #expect(deleted.stdout.contains("Forgot 1 pod volume snapshot of backup b1"), "\(deleted.output)")
            let snapshots = try await Self.restic(repository, ["snapshots", "--json"])
            #expect(snapshots.status == 0, "\(snapshots.output)")
            #expect((try JSONValue(parsing: Array(snapshots.stdoutData))).arrayValue?.isEmpty == true)
            let check = try await Self.restic(repository, ["check"])
            #expect(check.status == 0, "\(check.output)")
        }
    }

    @Test func deleteWithoutThePasswordSecretWarnsAndDeletes() async throws {
        try await CLIEnvironment.with { env in
            try await env.backUpApp("b1")
            let list: JSONValue = [
                Self.podVolumeBackup(pod: "web", volume: "data", phase: "Completed", snapshot: "abcd", size: 1)
            ]
            var pvb = try #require(list.arrayValue?.first.flatMap { KubeObject($0) })
            pvb.namespace = "velero"
            _ = try await env.client.create(Self.podVolumeBackups, namespace: "velero", pvb)
            let deleted = try await env.lifeboat("backup", "delete", "b1", "--confirm")
            #expect(deleted.status == 0, "\(deleted.output)")
            #expect(deleted.stderr.contains("velero-repo-credentials"), "\(deleted.output)")
            #expect(deleted.stdout.contains("Backup b1 deleted"))
            // The backup's PodVolumeBackups go with it.
            let remaining = try await env.client.list(Self.podVolumeBackups, namespace: "velero")
            #expect(remaining.items.isEmpty)
        }
    }

    @Test func restoreDescribeShowsPodVolumeRestoresByPhase() async throws {
        try await CLIEnvironment.with { env in
            var restore = KubeObject(apiVersion: "velero.io/v1", kind: "Restore", namespace: "velero", name: "r1")
            restore["spec"] = ["backupName": "b1"]
            restore["status"] = ["phase": "PartiallyFailed", "errors": 1]
            _ = try await env.client.create(Self.restores, namespace: "velero", restore)
            let volumes: [(String, String, String, Int)] = [
                ("web", "data", "Completed", 100), ("web", "logs", "Completed", 0), ("db", "pgdata", "Failed", 0),
            ]
            for (pod, volume, phase, size) in volumes {
                var pvr = KubeObject(
                    apiVersion: "velero.io/v1",
                    kind: "PodVolumeRestore",
                    namespace: "velero",
                    name: ""
                )
                pvr.name = "r1-\(volume)"
                pvr.labels = ["velero.io/restore-name": "r1", "velero.io/restore-uid": "u1"]
                pvr["spec"] = [
                    "pod": ["kind": "Pod", "namespace": "shop", "name": .string(pod), "uid": "p"],
                    "volume": .string(volume), "backupStorageLocation": "default", "repoIdentifier": "local:x",
                    "uploaderType": "restic", "snapshotID": "s", "sourceNamespace": "shop",
                ]
                pvr["status"] = ["phase": .string(phase), "progress": ["totalBytes": .int(Int64(size))]]
                _ = try await env.client.create(Self.podVolumeRestores, namespace: "velero", pvr)
            }
            let brief = try await env.lifeboat("restore", "describe", "r1")
            #expect(brief.status == 0, "\(brief.output)")
            #expect(
                brief.stdout.contains(
                    """
                    restic Restores (specify --details for more information):
                      Completed:  2
                      Failed:     1

                    """
                ),
                "\(brief.stdout)"
            )
            let details = try await env.lifeboat("restore", "describe", "r1", "--details")
            #expect(
                details.stdout.contains(
                    """
                    restic Restores:
                      Completed:
                        shop/web: data (size: 100), logs
                      Failed:
                        shop/db: pgdata

                    """
                ),
                "\(details.stdout)"
            )
        }
    }
}
