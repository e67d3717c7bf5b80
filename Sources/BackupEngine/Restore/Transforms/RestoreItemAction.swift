package import Kubernetes

/// An item a restore item action needs restored (and ready) before the item itself, like Velero's
/// `velero.ResourceIdentifier`. The namespace is the item's namespace in the backup; the engine maps
/// it through `namespaceMapping`, as Velero does.
package struct RestoreItemReference: Sendable, Hashable, CustomStringConvertible {
    /// Canonical group-resource (`persistentvolumeclaims`, `priorityclasses.scheduling.k8s.io`).
    package var groupResource: String
    /// The backed-up namespace; "" for cluster-scoped items.
    package var namespace: String
    /// The item's name.
    package var name: String

    /// Creates a reference.
    package init(groupResource: String, namespace: String = "", name: String) {
        self.groupResource = groupResource
        self.namespace = namespace
        self.name = name
    }

    package var description: String {
        namespace.isEmpty ? "\(groupResource)/\(name)" : "\(groupResource)/\(namespace)/\(name)"
    }
}

/// What the built-in restore item actions need to know about the restore. All I/O (finding plugin
/// ConfigMaps by label, listing storage classes) is the caller's job.
package struct RestoreActionContext: Sendable {
    /// The restore's name.
    package var restoreName: String
    /// The backup being restored.
    package var backupName: String
    /// `spec.namespaceMapping` (backed-up namespace → target namespace).
    package var namespaceMapping: [String: String]
    /// `spec.preserveNodePorts == true`.
    package var preserveNodePorts: Bool
    /// The `data` of the ConfigMap labelled `velero.io/plugin-config` and
    /// `velero.io/change-storage-class=RestoreItemAction` (old class → new class); nil when there is none.
    package var storageClassMapping: [String: String]?
    /// Names of the storage classes that exist in the target cluster (the mapped class must be one).
    package var existingStorageClasses: Set<String>
    /// The `data` of the ConfigMap labelled `velero.io/plugin-config` and
    /// `velero.io/change-image-name=RestoreItemAction` (values `old_part,new_part`); nil when there is none.
    package var imageNameMapping: [String: String]?
    /// The backup's file-system volume backups and the restore's `restore-wait` container; `nil` when the restore
    /// restores no volume data (`velero.io/pod-volume-restore` then leaves pods alone).
    package var podVolumes: PodVolumeRestoreContext?

    /// Creates a context; everything but the names has a default.
    package init(
        restoreName: String,
        backupName: String,
        namespaceMapping: [String: String] = [:],
        preserveNodePorts: Bool = false,
        storageClassMapping: [String: String]? = nil,
        existingStorageClasses: Set<String> = [],
        imageNameMapping: [String: String]? = nil,
        podVolumes: PodVolumeRestoreContext? = nil
    ) {
        self.restoreName = restoreName
        self.backupName = backupName
        self.namespaceMapping = namespaceMapping
        self.preserveNodePorts = preserveNodePorts
        self.storageClassMapping = storageClassMapping
        self.existingStorageClasses = existingStorageClasses
        self.imageNameMapping = imageNameMapping
        self.podVolumes = podVolumes
    }
}

/// The input of one action: the item being restored (metadata and status already reset, earlier
/// actions applied) and the item exactly as it was backed up.
package struct RestoreItemActionInput: Sendable {
    /// Canonical group-resource of the item.
    package var groupResource: String
    /// The item as transformed so far.
    package var item: JSONValue
    /// The item as backed up (with its status).
    package var itemFromBackup: JSONValue

    /// Creates an input.
    package init(groupResource: String, item: JSONValue, itemFromBackup: JSONValue) {
        self.groupResource = groupResource
        self.item = item
        self.itemFromBackup = itemFromBackup
    }
}

/// The result of running restore item actions on one item.
package struct RestoreItemActionOutput: Sendable {
    /// The transformed item.
    package var item: JSONValue
    /// Items to restore (and wait for) before this one, in order, without duplicates.
    package var additionalItems: [RestoreItemReference]
    /// True when an action discarded the item (it must not be created).
    package var skipRestore: Bool
    /// Why it was skipped, naming the action.
    package var skipReason: String?
    /// Notes for the restore's warnings (e.g. an image without a matching rule is not an error).
    package var warnings: [String]
    /// Names of the actions that ran (Velero plugin names such as `velero.io/pod`).
    package var actionsRun: [String]

    /// Creates an output that leaves the item unchanged.
    package init(item: JSONValue) {
        self.item = item
        self.additionalItems = []
        self.skipRestore = false
        self.skipReason = nil
        self.warnings = []
        self.actionsRun = []
    }
}

/// A restore item action: a pure transform of one item, keyed by group-resource, like Velero's
/// `RestoreItemAction` plugins (`pkg/restore/actions/`).
package protocol RestoreItemAction: Sendable {
    /// The Velero plugin name, e.g. `velero.io/service`.
    var name: String { get }
    /// Whether the action runs for this item (Velero's `AppliesTo` resource and label selector).
    func applies(to groupResource: String, item: JSONValue) -> Bool
    /// Transforms the item.
    /// - Throws: ``BackupEngineError`` `.actionFailed`; the item then fails to restore.
    func execute(_ input: RestoreItemActionInput, context: RestoreActionContext) throws -> RestoreItemActionOutput
}
