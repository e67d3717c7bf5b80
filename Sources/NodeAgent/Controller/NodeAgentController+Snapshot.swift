import Foundation
import Kubernetes
import Logging

/// The CSI snapshot exposer's VolumeSnapshot steps for a DataUpload (Velero's `pkg/exposer/csi_snapshot.go`
/// `Expose` and `CleanUp`): wait for the source VolumeSnapshot to be ready, take its snapshot over with a
/// backup VolumeSnapshot and VolumeSnapshotContent named after the DataUpload, retain and delete the source
/// ones; at clean-up delete the backup VolumeSnapshot (its content goes with it, deletion policy Delete) and
/// the source VolumeSnapshot if it is still there.
extension NodeAgentController {
    static let volumeSnapshots = GroupVersionResource(
        group: "snapshot.storage.k8s.io",
        version: "v1",
        resource: "volumesnapshots"
    )
    static let volumeSnapshotContents = GroupVersionResource(
        group: "snapshot.storage.k8s.io",
        version: "v1",
        resource: "volumesnapshotcontents"
    )
    /// `kube.KubeAnnAllowVolumeModeChange`, set on the backup VolumeSnapshotContent.
    static let allowVolumeModeChange = "snapshot.storage.kubernetes.io/allow-volume-mode-change"
    /// `kube.VolumeSnapshotContentManagedByLabel`, kept from the source content (distributed snapshotting).
    static let contentManagedBy = "snapshot.storage.kubernetes.io/managed-by"

    /// Where the snapshot steps of a DataUpload stand.
    enum SnapshotExposure: Sendable {
        /// The source VolumeSnapshot is missing or not ready to use yet.
        case waiting
        /// The backup VolumeSnapshot exists; `restoreSize` is the source snapshot's, when it gave one.
        case ready(restoreSize: Quantity?)
    }

    /// Runs the snapshot steps of a DataUpload; each step is skipped when its result already exists, so a
    /// retry after a partial exposure goes on where it stopped.
    ///
    /// - Returns: `.waiting` while the source VolumeSnapshot is not ready to use.
    /// - Throws: ``NodeAgentError`` when the source's content cannot be read, or an API error.
    func exposeSnapshot(_ load: LoadObject) async throws -> SnapshotExposure {
        if try await exists(Self.volumeSnapshots, namespace: namespace, name: load.name) {
            return .ready(restoreSize: nil)
        }
        let spec = load.object["spec"]
        let sourceName = spec?["csiSnapshot"]?["volumeSnapshot"]?.stringValue ?? ""
        let sourceNamespace = spec?["sourceNamespace"]?.stringValue ?? ""
        let source: KubeObject
        do {
            source = try await client.get(Self.volumeSnapshots, namespace: sourceNamespace, name: sourceName)
        } catch let e as KubeError where e.code == .notFound {
            return .waiting
        }
        guard source["status"]?["readyToUse"]?.boolValue == true else { return .waiting }
        guard let contentName = source["status"]?["boundVolumeSnapshotContentName"]?.stringValue, !contentName.isEmpty
        else {
            throw NodeAgentError(
                code: .exposeFailed,
                message:
                    "error to get volume snapshot content: volume snapshot \(sourceNamespace)/\(sourceName) has no content"
            )
        }
        let content = try await client.get(Self.volumeSnapshotContents, name: contentName)
        guard let handle = content["status"]?["snapshotHandle"]?.stringValue, !handle.isEmpty else {
            throw NodeAgentError(
                code: .exposeFailed,
                message: "error to get volume snapshot content: \(contentName) has no snapshot handle"
            )
        }

        var backup = KubeObject(
            apiVersion: "snapshot.storage.k8s.io/v1",
            kind: "VolumeSnapshot",
            namespace: namespace,
            name: load.name
        )
        backup.annotations = source.annotations
        var backupSpec: JSONObject = ["source": ["volumeSnapshotContentName": .string(load.name)]]
        if let snapshotClass = source["spec"]?["volumeSnapshotClassName"] {
            backupSpec["volumeSnapshotClassName"] = snapshotClass
        }
        backup["spec"] = .object(backupSpec)
        let createdVS = try await createOrGet(Self.volumeSnapshots, namespace: namespace, backup)

        var backupContent = KubeObject(
            apiVersion: "snapshot.storage.k8s.io/v1",
            kind: "VolumeSnapshotContent",
            name: load.name
        )
        var annotations = content.annotations
        annotations[Self.allowVolumeModeChange] = "true"
        backupContent.annotations = annotations
        if let manager = content.labels[Self.contentManagedBy] {
            backupContent.labels = [Self.contentManagedBy: manager]
        }
        var contentSpec: JSONObject = [
            "volumeSnapshotRef": [
                "name": .string(load.name), "namespace": .string(namespace), "uid": .string(createdVS.uid ?? ""),
                "resourceVersion": .string(createdVS.resourceVersion ?? ""),
            ],
            "source": ["snapshotHandle": .string(handle)],
            "deletionPolicy": "Delete",
            "driver": content["spec"]?["driver"] ?? "",
        ]
        if let snapshotClass = content["spec"]?["volumeSnapshotClassName"] {
            contentSpec["volumeSnapshotClassName"] = snapshotClass
        }
        backupContent["spec"] = .object(contentSpec)
        _ = try await createOrGet(Self.volumeSnapshotContents, namespace: nil, backupContent)

        // Keep the snapshot itself when the source objects go: retain the source content, then delete both.
        if content["spec"]?["deletionPolicy"]?.stringValue != "Retain" {
            var retained = content.value
            retained[path: ["spec", "deletionPolicy"]] = "Retain"
            if let object = KubeObject(retained) { _ = try await client.update(Self.volumeSnapshotContents, object) }
        }
        try await deleteIfAny(Self.volumeSnapshots, namespace: sourceNamespace, name: sourceName)
        try await deleteIfAny(Self.volumeSnapshotContents, namespace: nil, name: contentName)

        let restoreSize = source["status"]?["restoreSize"].flatMap { try? Quantity(json: $0) }
        return .ready(restoreSize: restoreSize.flatMap { $0.description == "0" ? nil : $0 })
    }

    /// Deletes the backup VolumeSnapshot and the source VolumeSnapshot of a DataUpload (missing ones are fine).
    func cleanUpSnapshots(_ load: LoadObject) async {
        let spec = load.object["spec"]
        let targets = [
            (namespace, load.name),
            (spec?["sourceNamespace"]?.stringValue ?? "", spec?["csiSnapshot"]?["volumeSnapshot"]?.stringValue ?? ""),
        ]
        for (ns, name) in targets where !name.isEmpty {
            do {
                try await deleteIfAny(Self.volumeSnapshots, namespace: ns, name: name)
            } catch {
                logger.debug(
                    "deleting a volume snapshot failed",
                    metadata: ["load": "\(load.name)", "snapshot": "\(ns)/\(name)", "error": "\(error)"]
                )
            }
        }
    }

    /// Whether the object exists (NotFound is false; other errors are thrown).
    func exists(_ resource: GroupVersionResource, namespace: String?, name: String) async throws -> Bool {
        do {
            _ = try await client.get(resource, namespace: namespace, name: name)
            return true
        } catch let e as KubeError where e.code == .notFound {
            return false
        }
    }

    private func createOrGet(
        _ resource: GroupVersionResource,
        namespace: String?,
        _ object: KubeObject
    ) async throws -> KubeObject {
        do {
            return try await client.create(resource, namespace: namespace, object)
        } catch let e as KubeError where e.code == .alreadyExists {
            return try await client.get(resource, namespace: namespace, name: object.name ?? "")
        }
    }

    /// Deletes the object; one that is already gone is fine.
    func deleteIfAny(_ resource: GroupVersionResource, namespace: String?, name: String) async throws {
        do {
            try await client.delete(resource, namespace: namespace, name: name)
        } catch let e as KubeError where e.code == .notFound {
            return
        }
    }
}
