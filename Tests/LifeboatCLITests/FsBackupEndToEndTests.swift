import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// File-system backup and restore through the whole stack (``FsBackupStack``), as a user runs it: `lifeboat backup
/// create` and `restore create` (direct mode); the stock `restic` reads what the backup wrote, and the restored pod
/// starts on its data.
@Suite(.enabled(if: fsBackupContainersRun, "needs bubblewrap and mount namespaces"))
struct FsBackupEndToEndTests {
    /// Writes a tree with contents, modes, mtimes, a symlink and a folder, then idles until stopped.
    static let writer = """
        trap 'exit 0' TERM
        if [ ! -e /data/done ]; then
          mkdir -p /data/sub/deeper && printf 'hello volume\\n' > /data/a.txt && chmod 640 /data/a.txt
          head -c 300000 /dev/urandom > /data/sub/blob.bin && chmod 600 /data/sub/blob.bin
          printf 'deep\\n' > /data/sub/deeper/c.txt && ln -s a.txt /data/link
          touch -d '2021-03-04 05:06:07' /data/a.txt /data/sub/blob.bin
          printf 'scratch data\\n' > /scratch/s.txt
          touch /data/done
        fi
        while true; do sleep 1 & wait $!; done
        """

    @Test(.timeLimit(.minutes(5)))
    func aPodsVolumesAreBackedUpAndRestoredThroughHostingPods() async throws {
        try await FsBackupStack.with(prefix: "lifeboat-fs-e2e") { stack in
            let client = stack.client
            try await client.createNamespaceAndWait("app")
            try await stack.createClaim("data")
            try await stack.createWriter(annotations: ["backup.velero.io/backup-volumes": "data,scratch"])
            let data = try await stack.tree(pod: "writer", root: "/data")
            let scratch = try await stack.tree(pod: "writer", root: "/scratch")
            #expect(data.contains { $0.hasPrefix("./link l 777") && $0.hasSuffix(" a.txt") })

            let backup = try await stack.lifeboat(["backup", "create", "b1", "--include-namespaces", "app", "--wait"])
            try #require(backup.status == 0, "\(backup.output)")
            #expect(backup.output.contains("Backup completed with status: Completed"))

            // The stock restic reads the repository the backup wrote and finds both volumes.
            #expect(try await stack.snapshots().count == 2)
            try await stack.expectCheckIsClean()

            _ = try await client.delete(.namespaces, name: "app")
            try await waitUntil("namespace app deleted", timeout: .seconds(120)) {
                (try? await client.get(.namespaces, name: "app")) == nil
            }
            let restore = try await stack.lifeboat(["restore", "create", "r1", "--from-backup", "b1", "--wait"])
            try #require(restore.status == 0, "\(restore.output)")
            do {
                try await waitUntil("the restored writer runs", timeout: .seconds(60)) {
                    let pod = try? await client.get(.pods, namespace: "app", name: "writer")
                    return pod?["status"]?["phase"] == "Running"
                }
            } catch {
                Issue.record(Comment(rawValue: await stack.describeRestoredPod("writer", namespace: "app")))
                throw error
            }
            let restored = try await client.get(.pods, namespace: "app", name: "writer")
            let initContainers = restored["spec"]?["initContainers"]?.arrayValue ?? []
            #expect(initContainers.first?["name"] == "restore-wait")
            #expect(try await stack.tree(pod: "writer", root: "/data") == data)
            #expect(try await stack.tree(pod: "writer", root: "/scratch") == scratch)
        }
    }
}
