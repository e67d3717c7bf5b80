import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// Backup hooks around file-system backups, as a database user relies on them (issue 21): the pre hook dumps the
/// database into the volume before its data is read, the post hook removes the dump afterwards; a pre hook with
/// `on-error: Fail` that fails keeps the pod's volumes out of the backup, which ends PartiallyFailed with the
/// hook's stderr in its results.
@Suite(.enabled(if: fsBackupContainersRun, "needs bubblewrap and mount namespaces"))
struct FsBackupHooksTests {
    /// A pod `name` with the claim `name-data` at /data and `annotations`; its container idles.
    static func createPod(_ stack: FsBackupStack, _ name: String, annotations: [String: String]) async throws {
        try await stack.createClaim("\(name)-data")
        var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: "app", name: name)
        pod.annotations = annotations.merging(["backup.velero.io/backup-volumes": "data"]) { a, _ in a }
        pod["spec"] = [
            "terminationGracePeriodSeconds": 1,
            "containers": [
                [
                    "name": "app", "image": "busybox:1.36",
                    "command": [
                        "sh", "-c",
                        .string(
                            "printf 'rows\\n' > /data/table && touch /data/done; trap 'exit 0' TERM; "
                                + "while true; do sleep 1 & wait $!; done"
                        ),
                    ],
                    "volumeMounts": [["name": "data", "mountPath": "/data"]],
                ]
            ],
            "volumes": [["name": "data", "persistentVolumeClaim": ["claimName": .string("\(name)-data")]]],
        ]
        _ = try await stack.client.create(.pods, pod)
        try await stack.waitForPod(name, marker: "/data/done")
    }

    @Test(.timeLimit(.minutes(6)))
    func thePreHooksDumpIsInTheBackupAndThePostHookRemovesItFromTheLiveVolume() async throws {
        try await FsBackupStack.with(prefix: "lifeboat-fs-hooks") { stack in
            try await stack.client.createNamespaceAndWait("app")
            try await Self.createPod(
                stack,
                "db",
                annotations: [
                    "pre.hook.backup.velero.io/command": #"["sh", "-c", "echo 'dump of table' > /data/dump.sql"]"#,
                    "post.hook.backup.velero.io/command": #"["sh", "-c", "rm /data/dump.sql"]"#,
                ]
            )
            try await Self.createPod(
                stack,
                "broken",
                annotations: [
                    "pre.hook.backup.velero.io/command": #"["sh", "-c", "echo 'cannot lock tables' >&2; exit 1"]"#,
                    "pre.hook.backup.velero.io/on-error": "Fail",
                ]
            )
            let backup = try await stack.lifeboat(["backup", "create", "b1", "--include-namespaces", "app", "--wait"])
            #expect(backup.status == 1, "PartiallyFailed exits 1: \(backup.output)")
            #expect(try await stack.backupPhase("b1") == "PartiallyFailed")

            // The dump went into the backup of db's volume, and is gone from the live volume.
            let loads = try await stack.podVolumeBackups(of: "b1")
            #expect(
                loads.map { $0["spec"]?["pod"]?["name"]?.stringValue ?? "" } == ["db"],
                "broken's volume is left out"
            )
            let snapshot = try #require(loads.first?["status"]?["snapshotID"]?.stringValue)
            let listing = try await stack.restic(["ls", snapshot])
            let path = try #require(
                listing.stdout.split(separator: "\n").first { $0.hasSuffix("/dump.sql") }.map(String.init),
                "\(listing.output)"
            )
            let dump = try await stack.restic(["dump", snapshot, path])
            #expect(dump.status == 0 && dump.stdout == "dump of table\n", "\(dump.output)")
            let live = try await stack.client.exec(
                namespace: "app",
                pod: "db",
                container: "app",
                command: ["test", "-e", "/data/dump.sql"]
            )
            #expect(live.exitCode == 1, "the post hook removed the dump")

            // The failed hook's stderr is in the backup's results.
            let describe = try await stack.lifeboat(["backup", "describe", "b1", "--details"])
            #expect(describe.stdout.contains("cannot lock tables"), "\(describe.output)")
            let status = try await stack.lifeboat(["backup", "get", "b1", "-o", "json"]).json["status"]
            #expect(status?["hookStatus"]?["hooksAttempted"] == 3, "\(String(describing: status))")
            #expect(status?["hookStatus"]?["hooksFailed"] == 1, "\(String(describing: status))")
        }
    }
}
