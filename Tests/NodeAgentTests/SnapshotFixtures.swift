import Kubernetes

@testable import NodeAgent

/// CSI snapshot objects as the external snapshotter leaves them once a snapshot is taken (the sandbox takes
/// no snapshots; it only deletes a Delete-policy content with its snapshot): a VolumeSnapshot ready to use,
/// bound to a VolumeSnapshotContent with a handle.
enum SnapshotFixtures {
    static let driver = "sandbox.csi.lifeboat.io"

    /// Creates the namespace if needed, the VolumeSnapshotContent `snapcontent-<name>` and the VolumeSnapshot
    /// `namespace/name`, and marks both ready.
    static func createReadySnapshot(
        _ client: KubeClient,
        namespace: String,
        name: String,
        restoreSize: String = "2Gi",
        annotations: [String: String] = [:]
    ) async throws {
        do {
            _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: namespace))
        } catch let e as KubeError where e.code == .alreadyExists {}
        let contentName = "snapcontent-\(name)"
        var content = KubeObject(
            apiVersion: "snapshot.storage.k8s.io/v1",
            kind: "VolumeSnapshotContent",
            name: contentName
        )
        content.annotations = ["origin": "snapshotter"]
        content["spec"] = [
            "deletionPolicy": "Delete", "driver": .string(driver), "volumeSnapshotClassName": "sandbox-snapclass",
            "source": ["volumeHandle": .string("vol-\(name)")],
            "volumeSnapshotRef": ["name": .string(name), "namespace": .string(namespace)],
        ]
        var createdContent = try await client.create(NodeAgentController.volumeSnapshotContents, content)
        createdContent["status"] = [
            "snapshotHandle": .string("handle-\(name)"), "readyToUse": true, "restoreSize": 2_147_483_648,
        ]
        _ = try await client.updateStatus(NodeAgentController.volumeSnapshotContents, createdContent)

        var snapshot = KubeObject(
            apiVersion: "snapshot.storage.k8s.io/v1",
            kind: "VolumeSnapshot",
            namespace: namespace,
            name: name
        )
        snapshot.annotations = annotations
        snapshot["spec"] = [
            "volumeSnapshotClassName": "sandbox-snapclass",
            "source": ["persistentVolumeClaimName": .string("pvc-\(name)")],
        ]
        var createdSnapshot = try await client.create(NodeAgentController.volumeSnapshots, snapshot)
        createdSnapshot["status"] = [
            "boundVolumeSnapshotContentName": .string(contentName), "readyToUse": true,
            "restoreSize": .string(restoreSize),
        ]
        _ = try await client.updateStatus(NodeAgentController.volumeSnapshots, createdSnapshot)
    }
}
