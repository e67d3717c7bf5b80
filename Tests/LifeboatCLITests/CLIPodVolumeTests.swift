import Foundation
import KubeSandboxTesting
import Kubernetes
import ProcessTesting
import Testing

/// `backup create` with file-system backup: the flags reach the Backup, the run waits for the PodVolumeBackups (a
/// stand-in node agent ends them here) and ends with one line per volume.
struct CLIPodVolumeTests {
    static let podVolumeBackups = GroupVersionResource(group: "velero.io", version: "v1", resource: "podvolumebackups")
    static let backups = GroupVersionResource(group: "velero.io", version: "v1", resource: "backups")

    @Test func aBadTimeoutIsRejectedBeforeAnythingRuns() async throws {
        try await CLIEnvironment.with { cli in
            let result = try await cli.lifeboat("backup", "create", "b1", "--pod-volume-operation-timeout", "soon")
            #expect(result.status != 0)
            #expect(result.stderr.contains("--pod-volume-operation-timeout"), "\(result.output)")
        }
    }

    @Test func backupCreateWaitsForTheVolumesAndSummarizesThem() async throws {
        try await CLIEnvironment.with { cli in
            let client = cli.client
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
            try #require(location.status == 0, "\(location.output)")
            try await client.createNamespaceAndWait("app")
            var pod = KubeObject(apiVersion: "v1", kind: "Pod", namespace: "app", name: "web")
            pod["spec"] = [
                "nodeName": "sandbox-node-1",
                "containers": [
                    [
                        "name": "app", "image": "busybox",
                        "volumeMounts": [["name": "scratch", "mountPath": "/scratch"]],
                    ]
                ],
                "volumes": [["name": "scratch", "emptyDir": [:]]],
            ]
            _ = try await client.create(.pods, pod)
            try await waitUntil("pod app/web running") {
                try await client.get(.pods, namespace: "app", name: "web")["status"]?["phase"] == "Running"
            }
            // The node agent of a `lifeboat node-agent server` run for the node.
            var lease = KubeObject(
                apiVersion: "coordination.k8s.io/v1",
                kind: "Lease",
                namespace: "velero",
                name: "lifeboat-node-agent-sandbox-node-1"
            )
            LeaderElectionRecord(
                holderIdentity: "sandbox-node-1",
                leaseDurationSeconds: 40,
                acquireTime: Date(),
                renewTime: Date(),
                leaseTransitions: 0
            ).apply(to: &lease)
            _ = try await client.create(.leases, lease)
            var policies = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "velero", name: "policies")
            policies["data"] = ["policies.yaml": "version: v1\nvolumePolicies: []\n"]
            _ = try await client.create(.configMaps, policies)

            let backup = try await withThrowingTaskGroup(of: ChildProcess.Result?.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        for var pvb in (try? await client.list(Self.podVolumeBackups, namespace: "velero").items) ?? []
                        where pvb.status == nil {
                            pvb.status = [
                                "phase": "Completed", "snapshotID": "abc",
                                "progress": ["totalBytes": 4096, "bytesDone": 4096],
                            ]
                            _ = try? await client.update(Self.podVolumeBackups, pvb)
                        }
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                    return nil
                }
                let result = try await cli.lifeboat(
                    "backup",
                    "create",
                    "b1",
                    "--include-namespaces",
                    "app",
                    "--default-volumes-to-fs-backup=true",
                    "--resource-policies-configmap",
                    "policies",
                    "--pod-volume-operation-timeout",
                    "5m"
                )
                group.cancelAll()
                return result
            }
            #expect(backup.status == 0, "\(backup.output)")
            #expect(backup.stdout.contains("Backup completed with status: Completed."), "\(backup.stdout)")
            #expect(backup.stdout.contains("Pod volume backups:"), "\(backup.stdout)")
            #expect(backup.stdout.contains("  app/web scratch: Completed, 4.0 KiB"), "\(backup.stdout)")
            let recorded = try await client.get(Self.backups, namespace: "velero", name: "b1")
            #expect(recorded["spec"]?["defaultVolumesToFsBackup"] == true)
            #expect(recorded["spec"]?["resourcePolicy"]?["kind"] == "configmap")
            #expect(recorded["spec"]?["resourcePolicy"]?["name"] == "policies")
        }
    }
}
