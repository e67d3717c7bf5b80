package import Kubernetes

/// `velero.io/v1` Backup (`pkg/apis/velero/v1/backup_types.go`).
package struct Backup: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "Backup",
        plural: "backups"
    )

    package var apiVersion: String = Self.kindInfo.apiVersion
    package var kind: String = Self.kindInfo.kind
    package var metadata: ObjectMeta
    package var spec: BackupSpec
    package var status: BackupStatus?
    package var preserved = PreservedJSON()

    package init(metadata: ObjectMeta, spec: BackupSpec = BackupSpec(), status: BackupStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    package init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    package func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }
}

package struct BackupSpec: Codable, Sendable, Hashable {
    package struct Metadata: Codable, Sendable, Hashable {
        package var labels: [String: String]?
        package init(labels: [String: String]? = nil) { self.labels = labels }
    }
    package struct UploaderConfig: Codable, Sendable, Hashable {
        package var parallelFilesUpload: Int?
        package init(parallelFilesUpload: Int? = nil) { self.parallelFilesUpload = parallelFilesUpload }
    }

    package var metadata: Metadata?
    package var includedNamespaces: [String]?
    package var excludedNamespaces: [String]?
    package var includedResources: [String]?
    package var excludedResources: [String]?
    package var includedClusterScopedResources: [String]?
    package var excludedClusterScopedResources: [String]?
    package var includedNamespaceScopedResources: [String]?
    package var excludedNamespaceScopedResources: [String]?
    package var labelSelector: LabelSelectorSpec?
    package var orLabelSelectors: [LabelSelectorSpec]?
    package var snapshotVolumes: Bool?
    package var ttl: String?
    package var includeClusterResources: Bool?
    /// `hooks.resources[]`, kept as JSON (pre and post exec hooks).
    package var hooks: JSONValue?
    package var storageLocation: String?
    package var volumeSnapshotLocations: [String]?
    /// Deprecated in Velero; read as `defaultVolumesToFsBackup` when that is unset.
    package var defaultVolumesToRestic: Bool?
    package var defaultVolumesToFsBackup: Bool?
    package var orderedResources: [String: String]?
    package var csiSnapshotTimeout: String?
    package var itemOperationTimeout: String?
    package var resourcePolicy: TypedLocalObjectReference?
    package var snapshotMoveData: Bool?
    package var datamover: String?
    package var uploaderConfig: UploaderConfig?
    package var volumeGroupSnapshotLabelKey: String?

    package init() {}
}

package struct BackupStatus: Codable, Sendable, Hashable {
    package struct Progress: Codable, Sendable, Hashable {
        package var totalItems: Int?
        package var itemsBackedUp: Int?
        package init(totalItems: Int? = nil, itemsBackedUp: Int? = nil) {
            self.totalItems = totalItems
            self.itemsBackedUp = itemsBackedUp
        }
    }
    package struct HookStatus: Codable, Sendable, Hashable {
        package var hooksAttempted: Int?
        package var hooksFailed: Int?
        package init(hooksAttempted: Int? = nil, hooksFailed: Int? = nil) {
            self.hooksAttempted = hooksAttempted
            self.hooksFailed = hooksFailed
        }
    }

    package var version: Int?
    package var formatVersion: String?
    package var expiration: String?
    package var phase: String?
    package var queuePosition: Int?
    package var validationErrors: [String]?
    package var startTimestamp: String?
    package var completionTimestamp: String?
    package var volumeSnapshotsAttempted: Int?
    package var volumeSnapshotsCompleted: Int?
    package var failureReason: String?
    package var warnings: Int?
    package var errors: Int?
    package var progress: Progress?
    package var csiVolumeSnapshotsAttempted: Int?
    package var csiVolumeSnapshotsCompleted: Int?
    package var backupItemOperationsAttempted: Int?
    package var backupItemOperationsCompleted: Int?
    package var backupItemOperationsFailed: Int?
    package var hookStatus: HookStatus?

    package init(phase: String? = nil) { self.phase = phase }
}

/// Backup phases.
package enum BackupPhase {
    package static let new = "New"
    package static let queued = "Queued"
    package static let readyToStart = "ReadyToStart"
    package static let inProgress = "InProgress"
    package static let waitingForPluginOperations = "WaitingForPluginOperations"
    package static let waitingForPluginOperationsPartiallyFailed = "WaitingForPluginOperationsPartiallyFailed"
    package static let finalizing = "Finalizing"
    package static let finalizingPartiallyFailed = "FinalizingPartiallyFailed"
    package static let completed = "Completed"
    package static let partiallyFailed = "PartiallyFailed"
    package static let failed = "Failed"
    package static let failedValidation = "FailedValidation"
    package static let deleting = "Deleting"
}
