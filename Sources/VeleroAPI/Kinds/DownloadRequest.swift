package import Kubernetes

/// `velero.io/v1` DownloadRequest (`download_request_types.go`): asks the server for a signed URL of a backup or
/// restore file (log, contents, results, …).
package struct DownloadRequest: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "DownloadRequest",
        plural: "downloadrequests"
    )

    package var apiVersion: String = Self.kindInfo.apiVersion
    package var kind: String = Self.kindInfo.kind
    package var metadata: ObjectMeta
    package var spec: Spec
    package var status: Status?
    package var preserved = PreservedJSON()

    package init(metadata: ObjectMeta, spec: Spec = Spec(), status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    package init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    package func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }

    package struct Target: Codable, Sendable, Hashable {
        /// `BackupLog`, `BackupContents`, `RestoreResults`, … (``DownloadTargetKind``).
        package var kind: String
        package var name: String

        package init(kind: String, name: String) {
            self.kind = kind
            self.name = name
        }
    }

    package struct Spec: Codable, Sendable, Hashable {
        package var target: Target

        package init(target: Target = Target(kind: "", name: "")) { self.target = target }
    }

    package struct Status: Codable, Sendable, Hashable {
        /// `New` or `Processed`.
        package var phase: String?
        package var downloadURL: String?
        package var expiration: String?

        package init(phase: String? = nil, downloadURL: String? = nil, expiration: String? = nil) {
            self.phase = phase
            self.downloadURL = downloadURL
            self.expiration = expiration
        }
    }
}

/// What a DownloadRequest may ask for.
package enum DownloadTargetKind {
    package static let backupLog = "BackupLog"
    package static let backupContents = "BackupContents"
    package static let backupVolumeSnapshots = "BackupVolumeSnapshots"
    package static let backupItemOperations = "BackupItemOperations"
    package static let backupResourceList = "BackupResourceList"
    package static let backupResults = "BackupResults"
    package static let restoreLog = "RestoreLog"
    package static let restoreResults = "RestoreResults"
    package static let restoreResourceList = "RestoreResourceList"
    package static let restoreItemOperations = "RestoreItemOperations"
    package static let csiBackupVolumeSnapshots = "CSIBackupVolumeSnapshots"
    package static let csiBackupVolumeSnapshotContents = "CSIBackupVolumeSnapshotContents"
    package static let backupVolumeInfos = "BackupVolumeInfos"
    package static let restoreVolumeInfo = "RestoreVolumeInfo"

    /// The targets that name a Restore (their file lives with the restore's backup's location).
    package static let restoreTargets: Set<String> = [
        restoreLog, restoreResults, restoreResourceList, restoreItemOperations, restoreVolumeInfo,
    ]
}
