public import Kubernetes


/// `velero.io/v1` Restore (`pkg/apis/velero/v1/restore_types.go`).
public struct Restore: Codable, Sendable, Hashable {
    public var apiVersion: String = "velero.io/v1"
    public var kind: String = "Restore"
    public var metadata: ObjectMeta
    public var spec: RestoreSpec
    public var status: RestoreStatus?

    public init(metadata: ObjectMeta, spec: RestoreSpec, status: RestoreStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public var name: String { metadata.name ?? "" }
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

    public init(phase: String? = nil) { self.phase = phase }
}
