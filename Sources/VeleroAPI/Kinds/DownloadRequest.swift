public import Kubernetes

/// `velero.io/v1` DownloadRequest (`download_request_types.go`): asks the server for a signed URL of a backup or
/// restore file (log, contents, results, …).
public struct DownloadRequest: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "DownloadRequest", plural: "downloadrequests")

    public var apiVersion: String = Self.kindInfo.apiVersion
    public var kind: String = Self.kindInfo.kind
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?
    public var preserved = PreservedJSON()

    public init(metadata: ObjectMeta, spec: Spec = Spec(), status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }

    public struct Target: Codable, Sendable, Hashable {
        /// `BackupLog`, `BackupContents`, `RestoreResults`, … (``DownloadTargetKind``).
        public var kind: String
        public var name: String

        public init(kind: String, name: String) {
            self.kind = kind
            self.name = name
        }
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var target: Target

        public init(target: Target = Target(kind: "", name: "")) { self.target = target }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// `New` or `Processed`.
        public var phase: String?
        public var downloadURL: String?
        public var expiration: String?

        public init(phase: String? = nil) { self.phase = phase }
    }
}

/// What a DownloadRequest may ask for.
public enum DownloadTargetKind {
    public static let backupLog = "BackupLog"
    public static let backupContents = "BackupContents"
    public static let backupVolumeSnapshots = "BackupVolumeSnapshots"
    public static let backupItemOperations = "BackupItemOperations"
    public static let backupResourceList = "BackupResourceList"
    public static let backupResults = "BackupResults"
    public static let restoreLog = "RestoreLog"
    public static let restoreResults = "RestoreResults"
    public static let restoreResourceList = "RestoreResourceList"
    public static let restoreItemOperations = "RestoreItemOperations"
    public static let csiBackupVolumeSnapshots = "CSIBackupVolumeSnapshots"
    public static let csiBackupVolumeSnapshotContents = "CSIBackupVolumeSnapshotContents"
    public static let backupVolumeInfos = "BackupVolumeInfos"
    public static let restoreVolumeInfo = "RestoreVolumeInfo"
}
