package import Kubernetes

/// `velero.io/v1` Restore (`pkg/apis/velero/v1/restore_types.go`).
package struct Restore: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "Restore",
        plural: "restores"
    )

    package var apiVersion: String = Self.kindInfo.apiVersion
    package var kind: String = Self.kindInfo.kind
    package var metadata: ObjectMeta
    package var spec: RestoreSpec
    package var status: RestoreStatus?
    package var preserved = PreservedJSON()

    package init(metadata: ObjectMeta, spec: RestoreSpec = RestoreSpec(), status: RestoreStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    package init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    package func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }
}

package struct RestoreSpec: Codable, Sendable, Hashable {
    package struct RestoreStatusSpec: Codable, Sendable, Hashable {
        package var includedResources: [String]?
        package var excludedResources: [String]?
        package init(includedResources: [String]? = nil, excludedResources: [String]? = nil) {
            self.includedResources = includedResources
            self.excludedResources = excludedResources
        }
    }
    package struct UploaderConfig: Codable, Sendable, Hashable {
        package var writeSparseFiles: Bool?
        package var parallelFilesDownload: Int?
        package init(writeSparseFiles: Bool? = nil, parallelFilesDownload: Int? = nil) {
            self.writeSparseFiles = writeSparseFiles
            self.parallelFilesDownload = parallelFilesDownload
        }
    }

    package var backupName: String?
    package var scheduleName: String?
    package var includedNamespaces: [String]?
    package var excludedNamespaces: [String]?
    package var includedResources: [String]?
    package var excludedResources: [String]?
    package var namespaceMapping: [String: String]?
    package var labelSelector: LabelSelectorSpec?
    package var orLabelSelectors: [LabelSelectorSpec]?
    package var restorePVs: Bool?
    package var restoreStatus: RestoreStatusSpec?
    package var preserveNodePorts: Bool?
    package var includeClusterResources: Bool?
    /// `hooks.resources[]`, kept as JSON (post hooks: exec and init containers).
    package var hooks: JSONValue?
    package var existingResourcePolicy: String?
    package var itemOperationTimeout: String?
    package var resourceModifier: TypedLocalObjectReference?
    package var uploaderConfig: UploaderConfig?

    package init(backupName: String? = nil) { self.backupName = backupName }
}

package struct RestoreStatus: Codable, Sendable, Hashable {
    package struct Progress: Codable, Sendable, Hashable {
        package var totalItems: Int?
        package var itemsRestored: Int?
        package init(totalItems: Int? = nil, itemsRestored: Int? = nil) {
            self.totalItems = totalItems
            self.itemsRestored = itemsRestored
        }
    }

    package var phase: String?
    package var validationErrors: [String]?
    package var warnings: Int?
    package var errors: Int?
    package var failureReason: String?
    package var startTimestamp: String?
    package var completionTimestamp: String?
    package var progress: Progress?
    package var restoreItemOperationsAttempted: Int?
    package var restoreItemOperationsCompleted: Int?
    package var restoreItemOperationsFailed: Int?
    package var hookStatus: BackupStatus.HookStatus?

    package init(phase: String? = nil) { self.phase = phase }
}

/// Restore phases.
package enum RestorePhase {
    package static let new = "New"
    package static let inProgress = "InProgress"
    package static let waitingForPluginOperations = "WaitingForPluginOperations"
    package static let waitingForPluginOperationsPartiallyFailed = "WaitingForPluginOperationsPartiallyFailed"
    package static let finalizing = "Finalizing"
    package static let finalizingPartiallyFailed = "FinalizingPartiallyFailed"
    package static let completed = "Completed"
    package static let partiallyFailed = "PartiallyFailed"
    package static let failed = "Failed"
    package static let failedValidation = "FailedValidation"
}
