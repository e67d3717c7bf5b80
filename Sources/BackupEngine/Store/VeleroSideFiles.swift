import Kubernetes
package import VeleroAPI

/// The contents of a backup's gzipped side files, byte for byte as Velero v1.18.1 writes them before gzip
/// (`encode.ToJSONGzip`: Go's `json.NewEncoder(w).Encode(v)`, compact JSON with HTML escaping and a trailing
/// newline), including what it writes when there is nothing (`pkg/controller/backup_controller.go`
/// `persistBackup`):
///
/// | file | nothing to list | why |
/// |---|---|---|
/// | `-volumesnapshots.json.gz` | `null` | a nil `[]*volume.Snapshot` |
/// | `-itemoperations.json.gz` | `[]` | `GetItemOperationsList` makes an empty list |
/// | `-podvolumebackups.json.gz` | `null` | a nil `[]*PodVolumeBackup` |
/// | `-resource-list.json.gz` | `{}` | an empty map |
/// | `-results.gz` | `{"errors":{},"warnings":{}}` | every `Result` field is `omitempty` |
/// | `-volumeinfo.json.gz` | `[]` | `VolumesInformation.Init` makes an empty list |
package enum VeleroSideFiles {
    /// Native volume snapshots: Lifeboat takes none, so Velero's nil list.
    package static let nativeVolumeSnapshots = line(.null)

    /// Backup item operations: Lifeboat runs no asynchronous plugin operations, so Velero's empty list.
    package static let itemOperations = line([])

    /// `-podvolumebackups.json.gz`: the PodVolumeBackups in Go's field order, `null` when there are none.
    package static func podVolumeBackups(_ backups: [PodVolumeBackup]) throws -> [UInt8] {
        guard !backups.isEmpty else { return line(.null) }
        return line(.array(try backups.map { try $0.goJSON() }))
    }

    /// `-results.gz`: Go's `map[string]results.Result` (`errors`, `warnings`), each `velero`, `cluster`,
    /// `namespaces` in that order and omitted when empty.
    package static func results(_ results: Results) -> [UInt8] {
        func result(_ r: Result) -> JSONValue {
            var object = JSONObject()
            if let velero = r.velero, !velero.isEmpty { object["velero"] = .array(velero.map(JSONValue.string)) }
            if let cluster = r.cluster, !cluster.isEmpty { object["cluster"] = .array(cluster.map(JSONValue.string)) }
            if let namespaces = r.namespaces, !namespaces.isEmpty {
                var byNamespace = JSONObject()
                for namespace in GoJSONShape.goSorted(namespaces.keys) {
                    byNamespace[namespace] = .array((namespaces[namespace] ?? []).map(JSONValue.string))
                }
                object["namespaces"] = .object(byNamespace)
            }
            return .object(object)
        }
        return line(.object(["errors": result(results.errors), "warnings": result(results.warnings)]))
    }

    /// `-volumeinfo.json.gz`: Velero's `[]*BackupVolumeInfo` (`internal/volume/volumes_information.go`).
    package static func volumeInfos(_ infos: [BackupVolumeInfo]) throws -> [UInt8] {
        line(.array(try infos.map { volumeInfoShape.ordered(try JSONValue(encoding: $0)) }))
    }

    /// Go's `BackupVolumeInfo` with the parts Lifeboat writes (`pvbInfo`, `pvInfo`) and the others kept as JSON.
    static let volumeInfoShape: GoJSONShape = {
        let podVolumeInfo = GoJSONShape.object([
            GoJSONField("snapshotHandle"),
            GoJSONField("size"),
            GoJSONField("incrementalSize"),
            .always("uploaderType", absent: ""),
            .always("volumeName", absent: ""),
            .always("podName", absent: ""),
            .always("podNamespace", absent: ""),
            GoJSONField("nodeName"),
            .always("Phase", absent: ""),
        ])
        let pvInfo = GoJSONShape.object([
            .always("reclaimPolicy", absent: ""),
            .always("labels", .map(.value), absent: .null),
        ])
        return .object([
            GoJSONField("pvcName"),
            GoJSONField("pvcNamespace"),
            GoJSONField("pvName"),
            GoJSONField("backupMethod"),
            .always("snapshotDataMoved", absent: false),
            .always("preserveLocalSnapshot", absent: false),
            .always("skipped", absent: false),
            GoJSONField("skippedReason"),
            .pointer("startTimestamp"),
            .pointer("completionTimestamp"),
            GoJSONField("result"),
            .pointer("csiSnapshotInfo"),
            .pointer("snapshotDataMovementInfo"),
            .pointer("nativeSnapshotInfo"),
            .pointer("pvbInfo", podVolumeInfo),
            .pointer("pvInfo", pvInfo),
        ])
    }()

    /// Compact JSON and the newline `json.Encoder` ends it with.
    static func line(_ value: JSONValue) -> [UInt8] {
        value.encoded() + [0x0A]
    }
}
