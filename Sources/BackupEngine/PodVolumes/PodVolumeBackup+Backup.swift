package import Kubernetes
package import VeleroAPI

extension PodVolumeBackup {
    /// The annotation naming the claim of a PodVolumeBackup of a PVC volume (Velero's `configs.PVCNameAnnotation`);
    /// the restore uses it to tell which claims have a pod volume backup.
    package static let pvcNameAnnotation = "velero.io/pvc-name"

    /// The PodVolumeBackup a backup creates for one pod volume, exactly as Velero 1.18's `newPodVolumeBackup`:
    /// `generateName: <backup>-` in the backup's namespace, labels `velero.io/backup-name` (a valid label value)
    /// and `velero.io/backup-uid` (+ `velero.io/pvc-uid` and the `velero.io/pvc-name` annotation for a claim), the
    /// Backup as controlling owner (when the Backup has a UID), and the spec's node, pod, volume, location,
    /// repository identifier, uploader type, tags and uploader settings.
    ///
    /// - Parameters:
    ///   - backup: the Backup (its namespace, name, UID, location and `uploaderConfig` are read).
    ///   - pod: the pod whose volume is backed up.
    ///   - volume: the pod volume's name.
    ///   - claim: the volume's claim, when it is a PVC volume.
    ///   - repoIdentifier: ``PodVolumeRepositories/repoIdentifier(location:volumeNamespace:)``.
    package static func forVolume(
        of backup: Backup,
        pod: KubeObject,
        volume: String,
        claim: KubeObject?,
        repoIdentifier: String,
        uploaderType: String = PodVolumeRepositories.uploaderType
    ) -> PodVolumeBackup {
        let backupUID = backup.metadata.uid ?? ""
        var metadata = ObjectMeta(
            namespace: backup.metadata.namespace,
            labels: [
                VeleroLabels.backupName: RestoreMetadata.validLabelValue(backup.name),
                VeleroLabels.backupUID: backupUID,
            ]
        )
        metadata.generateName = backup.name + "-"
        if !backupUID.isEmpty {
            metadata.ownerReferences = [
                VeleroAPI.OwnerReference(
                    apiVersion: Backup.kindInfo.apiVersion,
                    kind: Backup.kindInfo.kind,
                    name: backup.name,
                    uid: backupUID,
                    controller: true
                )
            ]
        }
        let podName = pod.name ?? ""
        let podNamespace = pod.namespace ?? ""
        let podUID = pod.uid ?? ""
        var spec = Spec(
            node: pod["spec"]?["nodeName"]?.stringValue ?? "",
            pod: ObjectReference(kind: "Pod", namespace: podNamespace, name: podName, uid: podUID),
            volume: volume,
            backupStorageLocation: backup.spec.storageLocation ?? "",
            repoIdentifier: repoIdentifier
        )
        spec.uploaderType = uploaderType
        var tags = [
            "backup": backup.name, "backup-uid": backupUID, "pod": podName, "pod-uid": podUID, "ns": podNamespace,
            "volume": volume,
        ]
        if let claim {
            metadata.annotations = [pvcNameAnnotation: claim.name ?? ""]
            metadata.labels?[VeleroLabels.pvcUID] = claim.uid ?? ""
            tags["pvc-uid"] = claim.uid ?? ""
        }
        spec.tags = tags
        if let config = backup.spec.uploaderConfig {
            // `uploaderutil.StoreBackupConfig`: the key is written whatever the value.
            spec.uploaderSettings = ["ParallelFilesUpload": String(config.parallelFilesUpload ?? 0)]
        }
        return PodVolumeBackup(metadata: metadata, spec: spec)
    }

    /// Whether the PodVolumeBackup reached a final phase (Completed, Failed or Canceled).
    package var hasEnded: Bool {
        switch status?.phase ?? "" {
        case DataMovePhase.completed, DataMovePhase.failed, DataMovePhase.canceled: true
        default: false
        }
    }
}
