public import Kubernetes


/// `velero.io/v1` Backup (`pkg/apis/velero/v1/backup_types.go`).
public struct Backup: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "Backup", plural: "backups")

    public var apiVersion: String = Self.kindInfo.apiVersion
    public var kind: String = Self.kindInfo.kind
    public var metadata: ObjectMeta
    public var spec: BackupSpec
    public var status: BackupStatus?
    public var preserved = PreservedJSON()

    public init(metadata: ObjectMeta, spec: BackupSpec = BackupSpec(), status: BackupStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }
}

public struct BackupSpec: Codable, Sendable, Hashable {
    public struct Metadata: Codable, Sendable, Hashable {
        public var labels: [String: String]?
        public init(labels: [String: String]? = nil) { self.labels = labels }
    }
    public struct UploaderConfig: Codable, Sendable, Hashable {
        public var parallelFilesUpload: Int?
        public init(parallelFilesUpload: Int? = nil) { self.parallelFilesUpload = parallelFilesUpload }
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
    /// `hooks.resources[]`, kept as JSON (pre and post exec hooks).
    public var hooks: JSONValue?
    public var storageLocation: String?
    public var volumeSnapshotLocations: [String]?
    /// Deprecated in Velero; read as `defaultVolumesToFsBackup` when that is unset.
    public var defaultVolumesToRestic: Bool?
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
        public init(hooksAttempted: Int? = nil, hooksFailed: Int? = nil) {
            self.hooksAttempted = hooksAttempted
            self.hooksFailed = hooksFailed
        }
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
    public static let queued = "Queued"
    public static let readyToStart = "ReadyToStart"
    public static let inProgress = "InProgress"
    public static let waitingForPluginOperations = "WaitingForPluginOperations"
    public static let waitingForPluginOperationsPartiallyFailed = "WaitingForPluginOperationsPartiallyFailed"
    public static let finalizing = "Finalizing"
    public static let finalizingPartiallyFailed = "FinalizingPartiallyFailed"
    public static let completed = "Completed"
    public static let partiallyFailed = "PartiallyFailed"
    public static let failed = "Failed"
    public static let failedValidation = "FailedValidation"
    public static let deleting = "Deleting"
}
