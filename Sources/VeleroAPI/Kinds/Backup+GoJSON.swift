package import Kubernetes

/// The Backup as Velero's server writes it to `velero-backup.json`: apimachinery's pretty JSON serializer
/// (`json.MarshalIndent(backup, "", "  ")`) over the Go types of Velero v1.18.1
/// (`pkg/apis/velero/v1/backup_types.go`).
extension Backup {
    /// The Go shape of `velero.io/v1` Backup: `kind` and `apiVersion` first (`metav1.TypeMeta`), then metadata,
    /// spec and status in Go field order; the non-pointer structs `spec.metadata`, `spec.hooks`, `status` and the
    /// `metav1.Duration`s are always written.
    package static let goShape = GoJSONShape.object([
        GoJSONField("kind"),
        GoJSONField("apiVersion"),
        .always("metadata", .objectMeta, absent: ["creationTimestamp": .null]),
        .always("spec", specShape),
        .always("status", statusShape, absent: [:]),
    ])

    /// `BackupSpec`.
    static let specShape = GoJSONShape.object([
        .always("metadata", .object([GoJSONField("labels", .map(.value))]), absent: [:]),
        GoJSONField("includedNamespaces"),
        GoJSONField("excludedNamespaces"),
        GoJSONField("includedResources"),
        GoJSONField("excludedResources"),
        GoJSONField("includedClusterScopedResources"),
        GoJSONField("excludedClusterScopedResources"),
        GoJSONField("includedNamespaceScopedResources"),
        GoJSONField("excludedNamespaceScopedResources"),
        .pointer("labelSelector", .labelSelector),
        GoJSONField("orLabelSelectors", .list(.labelSelector)),
        .pointer("snapshotVolumes"),
        .duration("ttl"),
        GoJSONField("volumeGroupSnapshotLabelKey"),
        .pointer("includeClusterResources"),
        .always("hooks", .object([GoJSONField("resources", .list(hookSpecShape))]), absent: [:]),
        GoJSONField("storageLocation"),
        GoJSONField("volumeSnapshotLocations"),
        .pointer("defaultVolumesToRestic"),
        .pointer("defaultVolumesToFsBackup"),
        GoJSONField("orderedResources", .map(.value)),
        .duration("csiSnapshotTimeout"),
        .duration("itemOperationTimeout"),
        .pointer("resourcePolicy", .typedLocalObjectReference),
        .pointer("snapshotMoveData"),
        GoJSONField("datamover"),
        .pointer("uploaderConfig", .object([GoJSONField("parallelFilesUpload")])),
    ])

    /// `BackupResourceHookSpec` with its `BackupResourceHook`s and `ExecHook`s.
    static let hookSpecShape: GoJSONShape = {
        let exec = GoJSONShape.object([
            GoJSONField("container"),
            .always("command", absent: .null),
            GoJSONField("onError"),
            .duration("timeout"),
        ])
        let hook = GoJSONShape.object([.always("exec", exec, absent: .null)])
        return .object([
            .always("name"),
            GoJSONField("includedNamespaces"),
            GoJSONField("excludedNamespaces"),
            GoJSONField("includedResources"),
            GoJSONField("excludedResources"),
            .pointer("labelSelector", .labelSelector),
            GoJSONField("pre", .list(hook)),
            GoJSONField("post", .list(hook)),
        ])
    }()

    /// `BackupStatus`.
    static let statusShape = GoJSONShape.object([
        GoJSONField("version"),
        GoJSONField("formatVersion"),
        .pointer("expiration"),
        GoJSONField("phase"),
        GoJSONField("queuePosition"),
        GoJSONField("validationErrors"),
        .pointer("startTimestamp"),
        .pointer("completionTimestamp"),
        GoJSONField("volumeSnapshotsAttempted"),
        GoJSONField("volumeSnapshotsCompleted"),
        GoJSONField("failureReason"),
        GoJSONField("warnings"),
        GoJSONField("errors"),
        .pointer("progress", .object([GoJSONField("totalItems"), GoJSONField("itemsBackedUp")])),
        GoJSONField("csiVolumeSnapshotsAttempted"),
        GoJSONField("csiVolumeSnapshotsCompleted"),
        GoJSONField("backupItemOperationsAttempted"),
        GoJSONField("backupItemOperationsCompleted"),
        GoJSONField("backupItemOperationsFailed"),
        .pointer("hookStatus", .object([GoJSONField("hooksAttempted"), GoJSONField("hooksFailed")])),
    ])

    /// The Backup as Go's Velero types would hold it (``goShape``), as a JSON value.
    package func goJSON() throws -> JSONValue {
        Self.goShape.ordered(try JSONValue(encoding: self))
    }

    /// The bytes of `velero-backup.json` as Velero v1.18.1 writes them: 2-space indented, Go field order, Go's
    /// omissions and HTML escaping, no trailing newline. Fields this version does not model (kept from the JSON
    /// the Backup was decoded from) are written too.
    package func veleroBackupJSON() throws -> [UInt8] {
        try goJSON().encoded(indentWidth: 2)
    }
}
