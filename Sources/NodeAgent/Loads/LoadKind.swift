package import Kubernetes
import VeleroAPI

/// The four kinds of node-agent load and the Velero names that go with them.
package enum LoadKind: String, Sendable, Hashable, CaseIterable {
    case dataUpload = "DataUpload"
    case dataDownload = "DataDownload"
    case podVolumeBackup = "PodVolumeBackup"
    case podVolumeRestore = "PodVolumeRestore"

    /// `velero.io/v2alpha1` for data movement, `velero.io/v1` for file-system backup.
    package var apiVersion: String {
        switch self {
        case .dataUpload, .dataDownload: VeleroAPIGroup.v2alpha1
        case .podVolumeBackup, .podVolumeRestore: VeleroAPIGroup.v1
        }
    }

    /// The resource (plural) name.
    package var resource: String {
        switch self {
        case .dataUpload: DataUpload.kindInfo.plural
        case .dataDownload: DataDownload.kindInfo.plural
        case .podVolumeBackup: PodVolumeBackup.kindInfo.plural
        case .podVolumeRestore: PodVolumeRestore.kindInfo.plural
        }
    }

    /// The label the exposer puts on the hosting pod and PVC (`velero.io/data-upload=<name>` …).
    package var ownerLabel: String {
        switch self {
        case .dataUpload: VeleroLabels.dataUpload
        case .dataDownload: VeleroLabels.dataDownload
        case .podVolumeBackup: VeleroLabels.podVolumeBackup
        case .podVolumeRestore: VeleroLabels.podVolumeRestore
        }
    }

    /// The message of a load that stayed Accepted longer than the prepare timeout.
    package var prepareTimeoutMessage: String {
        switch self {
        case .dataUpload: "timeout on preparing data upload"
        case .dataDownload: "timeout on preparing data download"
        case .podVolumeBackup: "timeout on preparing PVB"
        case .podVolumeRestore: "timeout on preparing PVR"
        }
    }

    /// The message set with `spec.cancel` when a non-final load is deleted.
    package var deletionCancelMessage: String {
        switch self {
        case .dataUpload: "Cancel dataupload because it is being deleted"
        case .dataDownload: "Cancel datadownload because it is being deleted"
        case .podVolumeBackup: "Cancel PVB because it is being deleted"
        case .podVolumeRestore: "Cancel PVR because it is being deleted"
        }
    }

    /// The finalizer a non-final load carries: `velero.io/data-upload-download-finalizer` for data movement,
    /// `velero.io/pod-volume-finalizer` for file-system backup and restore
    /// (`pkg/controller/pod_volume_backup_controller.go` `PodVolumeFinalizer`).
    package var finalizer: String {
        usesLoadAffinity ? LoadLabels.finalizer : LoadLabels.podVolumeFinalizer
    }

    /// Whether the load writes a repository (DataUpload, PodVolumeBackup) rather than reads one.
    package var isBackup: Bool { self == .dataUpload || self == .podVolumeBackup }

    /// What Velero's `OnDataPathFailed` puts before the data path's error in `status.message`.
    package var dataPathFailureMessage: String { isBackup ? "data path backup failed" : "data path restore failed" }

    /// Velero's `status.message` of a completed backup whose volume was empty.
    package var emptySnapshotMessage: String {
        self == .podVolumeBackup
            ? "volume was empty so no snapshot was taken" : "volume was empty so no data was upload"
    }

    /// Whether the load's hosting pod may run on any node (data movement, placed by load affinity) rather
    /// than on the node of the pod whose volume it reads or writes (file-system backup/restore).
    package var usesLoadAffinity: Bool { self == .dataUpload || self == .dataDownload }
}

/// Labels and finalizer shared by all loads (`pkg/exposer/types.go`, `data_upload_controller.go`).
package enum LoadLabels {
    /// Set on accepted loads until their data path starts; counted by the prepare queue.
    package static let exposeOnGoing = VeleroLabels.exposeOnGoing
    /// The exposer pod group label.
    package static let exposerPodGroup = VeleroLabels.exposerPodGroup
    /// `velero.io/exposer-pod-group` value of backup (snapshot) exposer pods.
    package static let snapshotExposer = VeleroLabels.snapshotExposer
    /// `velero.io/exposer-pod-group` value of restore exposer pods.
    package static let restoreExposer = VeleroLabels.restoreExposer
    /// The finalizer on non-final DataUploads and DataDownloads.
    package static let finalizer = VeleroFinalizers.dataUploadDownload
    /// The finalizer on non-final PodVolumeBackups and PodVolumeRestores.
    package static let podVolumeFinalizer = VeleroFinalizers.podVolume
}

extension LoadKind {
    /// The resource of this kind in the `velero.io` group.
    package var gvr: GroupVersionResource {
        switch self {
        case .dataUpload: DataUpload.resource
        case .dataDownload: DataDownload.resource
        case .podVolumeBackup: PodVolumeBackup.resource
        case .podVolumeRestore: PodVolumeRestore.resource
        }
    }

    /// The kind whose exposer labels a pod with `label` (``ownerLabel``), if any.
    package static func owning(podLabels labels: [String: String]) -> (LoadKind, String)? {
        for kind in allCases { if let name = labels[kind.ownerLabel] { return (kind, name) } }
        return nil
    }
}
