package import VeleroAPI

/// One entry of `<backup>-volumeinfo.json.gz`, with Velero's field names and omissions
/// (`internal/volume/volumes_information.go` `BackupVolumeInfo`): how one volume's data was backed up, or why it
/// was skipped.
///
/// Lifeboat writes entries for file-system backups (`backupMethod: PodVolumeBackup`, ``PodVolumeInfo``) and for
/// the persistent volumes in the backup whose data nothing backed up (`skipped: true`).
package struct BackupVolumeInfo: Codable, Sendable, Hashable {
    /// Velero's `PodVolumeBackup` method.
    package static let podVolumeBackupMethod = "PodVolumeBackup"

    package var pvcName: String?
    package var pvcNamespace: String?
    package var pvName: String?
    /// `PodVolumeBackup`, `CSISnapshot` or `NativeSnapshot`.
    package var backupMethod: String?
    package var snapshotDataMoved = false
    package var preserveLocalSnapshot = false
    package var skipped = false
    package var skippedReason: String?
    package var startTimestamp: String?
    package var completionTimestamp: String?
    /// `succeeded` or `failed`.
    package var result: String?
    package var pvbInfo: PodVolumeInfo?
    package var pvInfo: PVInfo?

    package init() {}

    /// `PodVolumeInfo`: the file-system backup of the volume.
    package struct PodVolumeInfo: Codable, Sendable, Hashable {
        /// The snapshot ID in the repository.
        package var snapshotHandle: String?
        /// Bytes of the volume (`status.progress.totalBytes`); omitted when zero.
        package var size: Int64?
        package var incrementalSize: Int64?
        package var uploaderType: String
        package var volumeName: String
        package var podName: String
        package var podNamespace: String
        package var nodeName: String?
        /// The PodVolumeBackup's phase (Go's field has no JSON tag, so the key is `Phase`).
        package var phase: String

        enum CodingKeys: String, CodingKey {
            case snapshotHandle, size, incrementalSize, uploaderType, volumeName, podName, podNamespace, nodeName
            case phase = "Phase"
        }

        package init(
            uploaderType: String,
            volumeName: String,
            podName: String,
            podNamespace: String,
            phase: String
        ) {
            self.uploaderType = uploaderType
            self.volumeName = volumeName
            self.podName = podName
            self.podNamespace = podNamespace
            self.phase = phase
        }
    }

    /// `PVInfo`: what of the PV a re-creation would lose.
    package struct PVInfo: Codable, Sendable, Hashable {
        package var reclaimPolicy: String
        /// Go writes a nil map as `null`.
        package var labels: [String: String]?

        package init(reclaimPolicy: String, labels: [String: String]?) {
            self.reclaimPolicy = reclaimPolicy
            self.labels = labels
        }

        enum CodingKeys: String, CodingKey { case reclaimPolicy, labels }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(reclaimPolicy, forKey: .reclaimPolicy)
            try container.encode(labels, forKey: .labels)
        }
    }
}

extension BackupVolumeInfo {
    /// Velero's `generateVolumeInfoFromPVB` entry for one PodVolumeBackup, with its claim's PV when it has one.
    package init(podVolumeBackup pvb: PodVolumeBackup, volume: PodVolumeFacts?) {
        self.init()
        backupMethod = Self.podVolumeBackupMethod
        startTimestamp = pvb.status?.startTimestamp
        completionTimestamp = pvb.status?.completionTimestamp
        result = pvb.status?.phase == DataMovePhase.completed ? "succeeded" : "failed"
        var info = PodVolumeInfo(
            uploaderType: pvb.spec.uploaderType ?? "",
            volumeName: pvb.spec.volume,
            podName: pvb.spec.pod.name ?? "",
            podNamespace: pvb.spec.pod.namespace ?? "",
            phase: pvb.status?.phase ?? ""
        )
        info.snapshotHandle = pvb.status?.snapshotID.flatMap { $0.isEmpty ? nil : $0 }
        info.size = pvb.status?.progress?.totalBytes.flatMap { $0 == 0 ? nil : $0 }
        info.incrementalSize = pvb.status?.incrementalBytes.flatMap { $0 == 0 ? nil : $0 }
        info.nodeName = pvb.spec.node.isEmpty ? nil : pvb.spec.node
        pvbInfo = info
        if let volume, let claim = volume.claim {
            pvcName = claim
            pvcNamespace = pvb.spec.pod.namespace
            pvName = volume.persistentVolume
            if volume.persistentVolume != nil {
                pvInfo = PVInfo(reclaimPolicy: volume.reclaimPolicy, labels: volume.labels)
            }
        }
    }
}

/// What the volume info needs of a pod volume's claim and PV, read when its PodVolumeBackup is created.
package struct PodVolumeFacts: Sendable, Hashable {
    /// The claim's name (nil for a volume that is not a claim).
    package var claim: String?
    /// The bound PV's name.
    package var persistentVolume: String?
    package var reclaimPolicy: String
    package var labels: [String: String]?

    package init(claim: String?, persistentVolume: String?, reclaimPolicy: String = "", labels: [String: String]? = nil)
    {
        self.claim = claim
        self.persistentVolume = persistentVolume
        self.reclaimPolicy = reclaimPolicy
        self.labels = labels
    }
}
