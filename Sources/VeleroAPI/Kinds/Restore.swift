public import Kubernetes


/// `velero.io/v1` Restore (`pkg/apis/velero/v1/restore_types.go`).
public struct Restore: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "Restore", plural: "restores")

    public var apiVersion: String = Self.kindInfo.apiVersion
    public var kind: String = Self.kindInfo.kind
    public var metadata: ObjectMeta
    public var spec: RestoreSpec
    public var status: RestoreStatus?
    public var preserved = PreservedJSON()

    public init(metadata: ObjectMeta, spec: RestoreSpec = RestoreSpec(), status: RestoreStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }
}

public struct RestoreSpec: Codable, Sendable, Hashable {
    public struct RestoreStatusSpec: Codable, Sendable, Hashable {
        public var includedResources: [String]?
        public var excludedResources: [String]?
        public init(includedResources: [String]? = nil, excludedResources: [String]? = nil) {
            self.includedResources = includedResources
            self.excludedResources = excludedResources
        }
    }
    public struct UploaderConfig: Codable, Sendable, Hashable {
        public var writeSparseFiles: Bool?
        public var parallelFilesDownload: Int?
        public init(writeSparseFiles: Bool? = nil, parallelFilesDownload: Int? = nil) {
            self.writeSparseFiles = writeSparseFiles
            self.parallelFilesDownload = parallelFilesDownload
        }
    }

    public var backupName: String?
    public var scheduleName: String?
    public var includedNamespaces: [String]?
    public var excludedNamespaces: [String]?
    public var includedResources: [String]?
    public var excludedResources: [String]?
    public var namespaceMapping: [String: String]?
    public var labelSelector: LabelSelectorSpec?
    public var orLabelSelectors: [LabelSelectorSpec]?
    public var restorePVs: Bool?
    public var restoreStatus: RestoreStatusSpec?
    public var preserveNodePorts: Bool?
    public var includeClusterResources: Bool?
    /// `hooks.resources[]`, kept as JSON (post hooks: exec and init containers).
    public var hooks: JSONValue?
    public var existingResourcePolicy: String?
    public var itemOperationTimeout: String?
    public var resourceModifier: TypedLocalObjectReference?
    public var uploaderConfig: UploaderConfig?

    public init(backupName: String? = nil) { self.backupName = backupName }
}

public struct RestoreStatus: Codable, Sendable, Hashable {
    public struct Progress: Codable, Sendable, Hashable {
        public var totalItems: Int?
        public var itemsRestored: Int?
        public init(totalItems: Int? = nil, itemsRestored: Int? = nil) {
            self.totalItems = totalItems
            self.itemsRestored = itemsRestored
        }
    }

    public var phase: String?
    public var validationErrors: [String]?
    public var warnings: Int?
    public var errors: Int?
    public var failureReason: String?
    public var startTimestamp: String?
    public var completionTimestamp: String?
    public var progress: Progress?
    public var restoreItemOperationsAttempted: Int?
    public var restoreItemOperationsCompleted: Int?
    public var restoreItemOperationsFailed: Int?
    public var hookStatus: BackupStatus.HookStatus?

    public init(phase: String? = nil) { self.phase = phase }
}

/// Restore phases.
public enum RestorePhase {
    public static let new = "New"
    public static let inProgress = "InProgress"
    public static let waitingForPluginOperations = "WaitingForPluginOperations"
    public static let waitingForPluginOperationsPartiallyFailed = "WaitingForPluginOperationsPartiallyFailed"
    public static let finalizing = "Finalizing"
    public static let finalizingPartiallyFailed = "FinalizingPartiallyFailed"
    public static let completed = "Completed"
    public static let partiallyFailed = "PartiallyFailed"
    public static let failed = "Failed"
    public static let failedValidation = "FailedValidation"
}
