import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import Testing

@testable import NodeAgent

/// The snapshot exposer's VolumeSnapshot steps for a DataUpload against a sandbox (Velero's
/// `pkg/exposer/csi_snapshot.go`): wait for the source snapshot, take it over with a backup VolumeSnapshot and
/// content named after the DataUpload, delete the source ones, delete the backup snapshot at clean-up.
struct DataUploadSnapshotTests {
    typealias Cluster = NodeAgentControllerTests

    static func snapshotExists(_ client: KubeClient, namespace: String, _ name: String) async throws -> Bool {
        try await Cluster.exists(client, NodeAgentController.volumeSnapshots, name, namespace: namespace)
    }

    @Test(.timeLimit(.minutes(3)))
    func theBackupSnapshotReplacesTheSourceOnceItIsReadyAndGoesAtCleanUp() async throws {
        try await Cluster.withCluster { _, admin in
            let agent = try Cluster.controller(admin, node: "sandbox-node-1", volumeSnapshotSteps: true)
            try await Cluster.running(agent) {
                try await Cluster.createUpload(admin, "du-snap", seconds: 60)
                // Accepted, but nothing is exposed while the source VolumeSnapshot does not exist.
                try await waitUntil("du-snap Accepted") {
                    try await Cluster.upload(admin, "du-snap")?.phase == .accepted
                }
                #expect(try await !Self.snapshotExists(admin, namespace: Cluster.namespace, "du-snap"))
                #expect(try await !Cluster.exists(admin, .pods, "du-snap"))

                try await SnapshotFixtures.createReadySnapshot(
                    admin,
                    namespace: "app",
                    name: "du-snap",
                    restoreSize: "3Gi",
                    annotations: ["team": "db"]
                )
                try await waitUntil("du-snap InProgress") {
                    try await Cluster.upload(admin, "du-snap")?.phase == .inProgress
                }

                let backup = try await admin.get(
                    NodeAgentController.volumeSnapshots,
                    namespace: Cluster.namespace,
                    name: "du-snap"
                )
                #expect(backup["spec"]?["source"] == ["volumeSnapshotContentName": "du-snap"])
                #expect(backup["spec"]?["volumeSnapshotClassName"] == "sandbox-snapclass")
                #expect(backup.annotations == ["team": "db"])
                let content = try await admin.get(NodeAgentController.volumeSnapshotContents, name: "du-snap")
                #expect(content["spec"]?["source"] == ["snapshotHandle": "handle-du-snap"])
                #expect(content["spec"]?["deletionPolicy"] == "Delete")
                #expect(content["spec"]?["driver"]?.stringValue == SnapshotFixtures.driver)
                #expect(content["spec"]?["volumeSnapshotRef"]?["name"] == "du-snap")
                #expect(content["spec"]?["volumeSnapshotRef"]?["namespace"]?.stringValue == Cluster.namespace)
                #expect(content["spec"]?["volumeSnapshotRef"]?["uid"]?.stringValue == backup.uid)
                #expect(
                    content.annotations == [
                        "origin": "snapshotter", "snapshot.storage.kubernetes.io/allow-volume-mode-change": "true",
                    ]
                )
                // The source snapshot and its (retained) content are gone; the backup PVC restores the backup snapshot.
                #expect(try await !Self.snapshotExists(admin, namespace: "app", "du-snap"))
                #expect(
                    try await !Cluster.exists(
                        admin,
                        NodeAgentController.volumeSnapshotContents,
                        "snapcontent-du-snap",
                        namespace: nil
                    )
                )
                let claim = try await admin.get(
                    NodeAgentController.persistentVolumeClaims,
                    namespace: Cluster.namespace,
                    name: "du-snap"
                )
                #expect(claim["spec"]?["dataSource"]?["name"] == "du-snap")
                #expect(claim["spec"]?["resources"]?["requests"]?["storage"] == "3Gi")

                var load = try #require(try await Cluster.upload(admin, "du-snap"))
                load.object[path: ["spec", "cancel"]] = true
                _ = try await admin.update(
                    LoadKind.dataUpload.gvr,
                    namespace: Cluster.namespace,
                    try #require(KubeObject(load.object))
                )
                try await Cluster.waitForCleanUp(admin, "du-snap")
                try await waitUntil("the backup VolumeSnapshot deleted") {
                    try await !Self.snapshotExists(admin, namespace: Cluster.namespace, "du-snap")
                }
                // Its content (deletionPolicy Delete) goes with it, as the snapshot controller deletes it.
                try await waitUntil("the backup VolumeSnapshotContent deleted") {
                    try await !Cluster.exists(
                        admin,
                        NodeAgentController.volumeSnapshotContents,
                        "du-snap",
                        namespace: nil
                    )
                }
            }
            #expect(try await Cluster.upload(admin, "du-snap")?.phase == .canceled)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aNodeAgentRestartedWhileTheSnapshotWasNotReadyExposesItLater() async throws {
        try await Cluster.withCluster { _, admin in
            try await Cluster.createUpload(admin, "du-wait", seconds: 0.2)
            let first = try Cluster.controller(admin, node: "sandbox-node-1", volumeSnapshotSteps: true)
            try await Cluster.running(first) {
                try await waitUntil("du-wait Accepted") {
                    try await Cluster.upload(admin, "du-wait")?.phase == .accepted
                }
            }
            // The node agent stopped while waiting; the snapshot becomes ready; the next one exposes the load.
            try await SnapshotFixtures.createReadySnapshot(admin, namespace: "app", name: "du-wait")
            let second = try Cluster.controller(admin, node: "sandbox-node-1", volumeSnapshotSteps: true)
            try await Cluster.running(second) {
                try await waitUntil("du-wait Completed") {
                    try await Cluster.upload(admin, "du-wait")?.phase == .completed
                }
                try await Cluster.waitForCleanUp(admin, "du-wait")
                try await waitUntil("the backup VolumeSnapshot deleted") {
                    try await !Self.snapshotExists(admin, namespace: Cluster.namespace, "du-wait")
                }
            }
            #expect(second.statistics.accepted == 0)
            #expect(try await !Self.snapshotExists(admin, namespace: "app", "du-wait"))
        }
    }
}
