package import Kubernetes

/// The CustomResourceDefinitions Lifeboat installs or expects, in one list: every `velero.io/v1` and
/// `velero.io/v2alpha1` kind (what `lifeboat install --crds-only` applies) and the CSI `snapshot.storage.k8s.io/v1`
/// kinds (which a real cluster's snapshot controller installs; the sandbox receives them with Velero's).
///
/// ```swift
/// for crd in VeleroCRDs.all { _ = try await client.create(crdResource, namespace: nil, crd) }
/// ```
package enum VeleroCRDs {
    /// The labels Velero puts on its CRDs.
    package static let labels = ["component": "velero"]

    /// Every `velero.io/v1` and `velero.io/v2alpha1` kind, with Velero's names, short names, scope and status.
    package static let kinds: [CustomResourceKind] = [
        Backup.kindInfo, BackupRepository.kindInfo, BackupStorageLocation.kindInfo, DeleteBackupRequest.kindInfo,
        DownloadRequest.kindInfo, PodVolumeBackup.kindInfo, PodVolumeRestore.kindInfo, Restore.kindInfo,
        Schedule.kindInfo, ServerStatusRequest.kindInfo, VolumeSnapshotLocation.kindInfo, DataDownload.kindInfo,
        DataUpload.kindInfo,
    ]

    /// The CSI snapshot kinds (`snapshot.storage.k8s.io/v1`).
    package static let volumeSnapshotKinds: [CustomResourceKind] = [
        .init(
            group: "snapshot.storage.k8s.io",
            version: "v1",
            kind: "VolumeSnapshot",
            plural: "volumesnapshots",
            shortNames: ["vs"]
        ),
        .init(
            group: "snapshot.storage.k8s.io",
            version: "v1",
            kind: "VolumeSnapshotClass",
            plural: "volumesnapshotclasses",
            namespaced: false,
            shortNames: ["vsclass", "vsclasses"],
            hasStatus: false
        ),
        .init(
            group: "snapshot.storage.k8s.io",
            version: "v1",
            kind: "VolumeSnapshotContent",
            plural: "volumesnapshotcontents",
            namespaced: false,
            shortNames: ["vsc", "vscs"]
        ),
    ]

    /// The velero.io CRD objects (labelled ``labels``), ready to create.
    package static var all: [KubeObject] { definitions().compactMap { KubeObject($0) } }

    /// The kinds whose CRD declares `subresources: {}` in Velero 1.18 (`config/crd/*/bases`); none of Velero's CRDs
    /// has the `status` subresource: its controllers write status with the object.
    package static let emptySubresources: Set<String> = [
        "BackupRepository", "BackupStorageLocation", "DeleteBackupRequest", "PodVolumeBackup", "PodVolumeRestore",
        "Schedule", "DataDownload", "DataUpload",
    ]

    /// The velero.io CRD objects as JSON, as Velero's (no status subresource), with extra `annotations` if given.
    package static func definitions(annotations: [String: String] = [:]) -> [JSONValue] {
        kinds.map { kind in
            var veleros = kind
            veleros.hasStatus = false
            var definition = veleros.definition(labels: labels, annotations: annotations)
            if emptySubresources.contains(kind.kind),
                var versions = definition[path: ["spec", "versions"]]?.arrayValue,
                !versions.isEmpty
            {
                versions[0]["subresources"] = .object([:])
                definition[path: ["spec", "versions"]] = .array(versions)
            }
            return definition
        }
    }

    /// The CSI snapshot CRD objects as JSON.
    package static var volumeSnapshotDefinitions: [JSONValue] { volumeSnapshotKinds.map { $0.definition() } }
}
