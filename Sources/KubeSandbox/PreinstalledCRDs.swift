import Kubernetes

/// CustomResourceDefinitions every sandbox starts with: Velero's `velero.io` v1 and v2alpha1 kinds and
/// the CSI `snapshot.storage.k8s.io/v1` kinds.
///
/// Their schemas preserve unknown fields (no structural validation). Velero's CRDs get the annotation
/// ``statusOnMainAnnotation`` so that both `/status` and the main endpoint can write `status` (Velero
/// and its clones use either).
enum PreinstalledCRDs {
    static let statusOnMainAnnotation = "sandbox.lifeboat.io/status-on-main-endpoint"

    private struct Def {
        var group: String
        var version: String
        var kind: String
        var plural: String
        var namespaced: Bool
        var short: [String]
        var status: Bool
    }

    private static let defs: [Def] = [
        Def(
            group: "velero.io",
            version: "v1",
            kind: "Backup",
            plural: "backups",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "BackupRepository",
            plural: "backuprepositories",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "BackupStorageLocation",
            plural: "backupstoragelocations",
            namespaced: true,
            short: ["bsl"],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "DeleteBackupRequest",
            plural: "deletebackuprequests",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "DownloadRequest",
            plural: "downloadrequests",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "PodVolumeBackup",
            plural: "podvolumebackups",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "PodVolumeRestore",
            plural: "podvolumerestores",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "Restore",
            plural: "restores",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "Schedule",
            plural: "schedules",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "ServerStatusRequest",
            plural: "serverstatusrequests",
            namespaced: true,
            short: ["ssr"],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v1",
            kind: "VolumeSnapshotLocation",
            plural: "volumesnapshotlocations",
            namespaced: true,
            short: ["vsl"],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v2alpha1",
            kind: "DataDownload",
            plural: "datadownloads",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "velero.io",
            version: "v2alpha1",
            kind: "DataUpload",
            plural: "datauploads",
            namespaced: true,
            short: [],
            status: true
        ),
        Def(
            group: "snapshot.storage.k8s.io",
            version: "v1",
            kind: "VolumeSnapshot",
            plural: "volumesnapshots",
            namespaced: true,
            short: ["vs"],
            status: true
        ),
        Def(
            group: "snapshot.storage.k8s.io",
            version: "v1",
            kind: "VolumeSnapshotClass",
            plural: "volumesnapshotclasses",
            namespaced: false,
            short: ["vsclass", "vsclasses"],
            status: false
        ),
        Def(
            group: "snapshot.storage.k8s.io",
            version: "v1",
            kind: "VolumeSnapshotContent",
            plural: "volumesnapshotcontents",
            namespaced: false,
            short: ["vsc", "vscs"],
            status: true
        ),
    ]

    /// The CRD objects (without server-set metadata).
    static var all: [JSONValue] {
        defs.map { def in
            var version: JSONObject = [
                "name": .string(def.version), "served": true, "storage": true,
                "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
            ]
            if def.status { version["subresources"] = ["status": [:]] }
            var names: JSONObject = [
                "kind": .string(def.kind), "listKind": .string(def.kind + "List"), "plural": .string(def.plural),
                "singular": .string(def.kind.lowercased()),
            ]
            if !def.short.isEmpty { names["shortNames"] = .array(def.short.map { .string($0) }) }
            var metadata: JSONObject = ["name": .string("\(def.plural).\(def.group)")]
            if def.group == "velero.io" {
                metadata["labels"] = ["component": "velero"]
                metadata["annotations"] = [statusOnMainAnnotation: "true"]
            }
            return [
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": .object(metadata),
                "spec": [
                    "group": .string(def.group), "names": .object(names),
                    "scope": def.namespaced ? "Namespaced" : "Cluster", "versions": [.object(version)],
                ],
            ]
        }
    }
}
