package import Kubernetes

/// The PodVolumeBackup as Velero's Go types write it (`pkg/apis/velero/v1/pod_volume_backup_types.go` at v1.18.1),
/// the elements of `<backup>-podvolumebackups.json.gz`.
extension PodVolumeBackup {
    /// The Go shape of `velero.io/v1` PodVolumeBackup.
    package static let goShape = GoJSONShape.object([
        GoJSONField("kind"),
        GoJSONField("apiVersion"),
        .always("metadata", .objectMeta, absent: ["creationTimestamp": .null]),
        .always(
            "spec",
            .object([
                .always("node"),
                .always("pod", .objectReference, absent: [:]),
                .always("volume"),
                .always("backupStorageLocation"),
                .always("repoIdentifier"),
                .always("uploaderType", absent: ""),
                GoJSONField("tags", .map(.value)),
                GoJSONField("uploaderSettings", .map(.value)),
                GoJSONField("cancel"),
            ])
        ),
        .always(
            "status",
            .object([
                GoJSONField("phase"),
                GoJSONField("path"),
                GoJSONField("snapshotID"),
                GoJSONField("message"),
                .pointer("startTimestamp"),
                .pointer("completionTimestamp"),
                .always("progress", .object([GoJSONField("totalBytes"), GoJSONField("bytesDone")]), absent: [:]),
                GoJSONField("incrementalBytes"),
                .pointer("acceptedTimestamp"),
            ]),
            absent: ["progress": [:]]
        ),
    ])

    /// The PodVolumeBackup as Go's Velero types would hold it (``goShape``).
    package func goJSON() throws -> JSONValue {
        Self.goShape.ordered(try JSONValue(encoding: self))
    }
}

extension GoJSONShape {
    /// `corev1.ObjectReference` (every field `omitempty`).
    package static let objectReference = GoJSONShape.object([
        GoJSONField("kind"),
        GoJSONField("namespace"),
        GoJSONField("name"),
        GoJSONField("uid"),
        GoJSONField("apiVersion"),
        GoJSONField("resourceVersion"),
        GoJSONField("fieldPath"),
    ])
}
