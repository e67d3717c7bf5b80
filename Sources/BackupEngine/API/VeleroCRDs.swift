public import Kubernetes

/// The velero.io CustomResourceDefinitions `lifeboat install --crds-only` applies: every `velero.io/v1`
/// and `velero.io/v2alpha1` kind, with Velero's names, short names, scope and status subresource.
///
/// Schemas preserve unknown fields: Lifeboat validates specs in its engines, so the CRDs accept
/// everything Velero's accept.
public enum VeleroCRDs {
    public struct Kind: Sendable, Hashable {
        public var version: String
        public var kind: String
        public var plural: String
        public var shortNames: [String]
    }

    /// Every velero.io kind.
    public static let kinds: [Kind] = [
        Kind(version: "v1", kind: "Backup", plural: "backups", shortNames: []),
        Kind(version: "v1", kind: "BackupRepository", plural: "backuprepositories", shortNames: []),
        Kind(version: "v1", kind: "BackupStorageLocation", plural: "backupstoragelocations", shortNames: ["bsl"]),
        Kind(version: "v1", kind: "DeleteBackupRequest", plural: "deletebackuprequests", shortNames: []),
        Kind(version: "v1", kind: "DownloadRequest", plural: "downloadrequests", shortNames: []),
        Kind(version: "v1", kind: "PodVolumeBackup", plural: "podvolumebackups", shortNames: []),
        Kind(version: "v1", kind: "PodVolumeRestore", plural: "podvolumerestores", shortNames: []),
        Kind(version: "v1", kind: "Restore", plural: "restores", shortNames: []),
        Kind(version: "v1", kind: "Schedule", plural: "schedules", shortNames: []),
        Kind(version: "v1", kind: "ServerStatusRequest", plural: "serverstatusrequests", shortNames: ["ssr"]),
        Kind(version: "v1", kind: "VolumeSnapshotLocation", plural: "volumesnapshotlocations", shortNames: ["vsl"]),
        Kind(version: "v2alpha1", kind: "DataDownload", plural: "datadownloads", shortNames: []),
        Kind(version: "v2alpha1", kind: "DataUpload", plural: "datauploads", shortNames: []),
    ]

    /// The CRD objects, ready to create.
    public static var all: [KubeObject] {
        kinds.map { kind in
            var names: JSONObject = [
                "kind": .string(kind.kind), "listKind": .string(kind.kind + "List"), "plural": .string(kind.plural),
                "singular": .string(kind.kind.lowercased()),
            ]
            if !kind.shortNames.isEmpty { names["shortNames"] = .array(kind.shortNames.map(JSONValue.string)) }
            let version: JSONObject = [
                "name": .string(kind.version), "served": true, "storage": true,
                "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
                "subresources": ["status": [:]],
            ]
            return KubeObject([
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": ["name": .string("\(kind.plural).velero.io"), "labels": ["component": "velero"]],
                "spec": [
                    "group": "velero.io", "names": .object(names), "scope": "Namespaced",
                    "versions": [.object(version)],
                ],
            ])
        }
    }
}
