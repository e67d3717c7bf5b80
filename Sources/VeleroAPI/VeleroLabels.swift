/// Labels Velero sets and reads (`pkg/apis/velero/v1/labels_annotations.go`, `pkg/exposer/types.go`).
package enum VeleroLabels {
    /// The backup an object belongs to (restored objects, DataUploads, PodVolumeBackups, DeleteBackupRequests).
    package static let backupName = "velero.io/backup-name"
    /// The uid of that backup.
    package static let backupUID = "velero.io/backup-uid"
    /// The restore that created an object.
    package static let restoreName = "velero.io/restore-name"
    /// The uid of that restore.
    package static let restoreUID = "velero.io/restore-uid"
    /// The schedule a backup came from.
    package static let scheduleName = "velero.io/schedule-name"
    /// The storage location of a backup.
    package static let storageLocation = "velero.io/storage-location"
    /// The pod uid of a PodVolumeBackup or PodVolumeRestore.
    package static let podUID = "velero.io/pod-uid"
    /// The PVC uid of a PodVolumeBackup or DataUpload.
    package static let pvcUID = "velero.io/pvc-uid"
    /// The namespace of a BackupRepository's volumes.
    package static let volumeNamespace = "velero.io/volume-namespace"
    /// The repository type of a BackupRepository.
    package static let repositoryType = "velero.io/repository-type"
    /// `true` on objects a backup must skip.
    package static let excludeFromBackup = "velero.io/exclude-from-backup"
    /// The VolumeSnapshot a restored PVC came from.
    package static let volumeSnapshotName = "velero.io/volume-snapshot-name"
    /// The DataUpload a restored PVC came from.
    package static let dataUploadName = "velero.io/data-upload-name"
    /// The async operation of a DataUpload or DataDownload (`du-…`, `dd-…`).
    package static let asyncOperationID = "velero.io/async-operation-id"
    /// Marks restore item action ConfigMaps (`velero.io/plugin-config`).
    package static let pluginConfig = "velero.io/plugin-config"
    /// Why garbage collection could not delete a backup (`BSLNotFound`, …).
    package static let gcFailure = "velero.io/gc-failure"
    /// The default label key of volume group snapshots.
    package static let volumeGroup = "velero.io/volume-group"

    // MARK: node-agent loads

    /// The DataUpload a hosting pod or PVC serves.
    package static let dataUpload = "velero.io/data-upload"
    /// The DataDownload a hosting pod or PVC serves.
    package static let dataDownload = "velero.io/data-download"
    /// The PodVolumeBackup a hosting pod serves.
    package static let podVolumeBackup = "velero.io/pod-volume-backup"
    /// The PodVolumeRestore a hosting pod serves.
    package static let podVolumeRestore = "velero.io/pod-volume-restore"
    /// `true` on accepted loads until their data path starts; counted by the prepare queue.
    package static let exposeOnGoing = "velero.io/expose-on-going"
    /// The exposer pod group of a hosting pod.
    package static let exposerPodGroup = "velero.io/exposer-pod-group"
    /// ``exposerPodGroup`` value of backup (snapshot) exposer pods.
    package static let snapshotExposer = "snapshot-exposer"
    /// ``exposerPodGroup`` value of restore exposer pods.
    package static let restoreExposer = "generic-restore-exposer"
}

/// Annotations Velero sets and reads (`pkg/apis/velero/v1/labels_annotations.go`).
package enum VeleroAnnotations {
    /// `true` or `false` on each restored object (`pkg/restore/restore.go`).
    package static let restoreStatus = "velero.io/restore-status"
    /// The source cluster's Kubernetes `gitVersion`, on backups.
    package static let sourceClusterK8sGitVersion = "velero.io/source-cluster-k8s-gitversion"
    /// The source cluster's Kubernetes major version, on backups.
    package static let sourceClusterK8sMajorVersion = "velero.io/source-cluster-k8s-major-version"
    /// The source cluster's Kubernetes minor version, on backups.
    package static let sourceClusterK8sMinorVersion = "velero.io/source-cluster-k8s-minor-version"
    /// Overrides the file-system backup timeout of a Backup or Restore.
    package static let podVolumeTimeout = "velero.io/pod-volume-timeout"
    /// Overrides the resource timeout of a Backup or Restore.
    package static let resourceTimeout = "velero.io/resource-timeout"
    /// Set by plugins on items a backup skipped.
    package static let skipFromBackup = "velero.io/skip-from-backup"
    /// Pod volumes to back up with file-system backup (comma-separated).
    package static let backupVolumes = "backup.velero.io/backup-volumes"
    /// Pod volumes to exclude from file-system backup (comma-separated).
    package static let backupVolumesExcludes = "backup.velero.io/backup-volumes-excludes"
    /// The resource usage a DataUpload reports.
    package static let resourceUsage = "velero.io/resource-usage"
}

/// Finalizers on velero.io objects.
package enum VeleroFinalizers {
    /// On non-final DataUploads and DataDownloads (`pkg/controller/data_upload_controller.go`).
    package static let dataUploadDownload = "velero.io/data-upload-download-finalizer"
    /// On non-final PodVolumeBackups and PodVolumeRestores (`pod_volume_backup_controller.go`).
    package static let podVolume = "velero.io/pod-volume-finalizer"
}
