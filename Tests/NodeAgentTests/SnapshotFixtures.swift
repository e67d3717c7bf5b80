import Kubernetes

@testable import NodeAgent

/// CSI snapshot objects as the external snapshotter leaves them once a snapshot is taken: a VolumeSnapshot ready
/// to use, bound to a VolumeSnapshotContent with a handle. They are written by hand (the snapshot's claim does
/// not exist): the sandbox's snapshot controller meanwhile records that missing claim as the snapshot's
/// `status.error`, so the statuses are written with a retry on conflicts.
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
        _ = try await client.create(NodeAgentController.volumeSnapshotContents, content)
        try await setStatus(
            client,
            NodeAgentController.volumeSnapshotContents,
            namespace: nil,
            name: contentName,
            ["snapshotHandle": .string("handle-\(name)"), "readyToUse": true, "restoreSize": 2_147_483_648]
        )

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
        _ = try await client.create(NodeAgentController.volumeSnapshots, snapshot)
        try await setStatus(
            client,
            NodeAgentController.volumeSnapshots,
            namespace: namespace,
            name: name,
            [
                "boundVolumeSnapshotContentName": .string(contentName), "readyToUse": true,
                "restoreSize": .string(restoreSize),
            ]
        )
    }

    /// Replaces an object's status, reading it again after a conflict.
    static func setStatus(
        _ client: KubeClient,
        _ resource: GroupVersionResource,
        namespace: String?,
        name: String,
        _ status: JSONValue
    ) async throws {
        for attempt in 1...10 {
            var object = try await client.get(resource, namespace: namespace, name: name)
            object["status"] = status
            do {
                _ = try await client.updateStatus(resource, object)
                return
            } catch let error as KubeError where error.code == .conflict && attempt < 10 {
                continue
            }
        }
    }
}
