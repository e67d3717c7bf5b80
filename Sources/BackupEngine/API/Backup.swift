public import Kubernetes


/// `velero.io/v1` Backup (`pkg/apis/velero/v1/backup_types.go`).
public struct Backup: Codable, Sendable, Hashable {
    public var apiVersion: String = "velero.io/v1"
    public var kind: String = "Backup"
    public var metadata: ObjectMeta
    public var spec: BackupSpec
    public var status: BackupStatus?

    public init(metadata: ObjectMeta, spec: BackupSpec = BackupSpec(), status: BackupStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// The backup's name (empty when unset).
    public var name: String { metadata.name ?? "" }
}

public struct BackupSpec: Codable, Sendable, Hashable {
    public struct Metadata: Codable, Sendable, Hashable {
        public var labels: [String: String]?
    }
    public struct UploaderConfig: Codable, Sendable, Hashable {
        public var parallelFilesUpload: Int?
    }

    public var metadata: Metadata?
    public var includedNamespaces: [String]?
    public var excludedNamespaces: [String]?
    public var includedResources: [String]?
    public var excludedResources: [String]?
    public var includedClusterScopedResources: [String]?
    public var excludedClusterScopedResources: [String]?
    public var includedNamespaceScopedResources: [String]?
    public var excludedNamespaceScopedResources: [String]?
    public var labelSelector: LabelSelectorSpec?
    public var orLabelSelectors: [LabelSelectorSpec]?
    public var snapshotVolumes: Bool?
    public var ttl: String?
    public var includeClusterResources: Bool?
    public var hooks: JSONValue?
    public var storageLocation: String?
    public var volumeSnapshotLocations: [String]?
    public var defaultVolumesToFsBackup: Bool?
    public var orderedResources: [String: String]?
    public var csiSnapshotTimeout: String?
    public var itemOperationTimeout: String?
    public var resourcePolicy: TypedLocalObjectReference?
    public var snapshotMoveData: Bool?
    public var datamover: String?
    public var uploaderConfig: UploaderConfig?
    public var volumeGroupSnapshotLabelKey: String?

    public init() {}
}

public struct BackupStatus: Codable, Sendable, Hashable {
    public struct Progress: Codable, Sendable, Hashable {
        public var totalItems: Int?
        public var itemsBackedUp: Int?
        public init(totalItems: Int? = nil, itemsBackedUp: Int? = nil) {
            self.totalItems = totalItems
            self.itemsBackedUp = itemsBackedUp
        }
    }
    public struct HookStatus: Codable, Sendable, Hashable {
        public var hooksAttempted: Int?
        public var hooksFailed: Int?
    }

    public var version: Int?
    public var formatVersion: String?
    public var expiration: String?
    public var phase: String?
    public var queuePosition: Int?
    public var validationErrors: [String]?
    public var startTimestamp: String?
    public var completionTimestamp: String?
    public var volumeSnapshotsAttempted: Int?
    public var volumeSnapshotsCompleted: Int?
    public var failureReason: String?
    public var warnings: Int?
    public var errors: Int?
    public var progress: Progress?
    public var csiVolumeSnapshotsAttempted: Int?
    public var csiVolumeSnapshotsCompleted: Int?
    public var backupItemOperationsAttempted: Int?
    public var backupItemOperationsCompleted: Int?
    public var backupItemOperationsFailed: Int?
    public var hookStatus: HookStatus?

    public init(phase: String? = nil) { self.phase = phase }
}

/// Backup phases.
public enum BackupPhase {
    public static let new = "New"
    public static let inProgress = "InProgress"
    public static let completed = "Completed"
    public static let partiallyFailed = "PartiallyFailed"
    public static let failed = "Failed"
    public static let failedValidation = "FailedValidation"
    public static let deleting = "Deleting"
}
