/// A CustomResourceDefinition described by its names, and the well-known kinds Lifeboat installs or expects:
/// Velero's `velero.io` kinds and the CSI `snapshot.storage.k8s.io/v1` kinds.
///
/// The definitions preserve unknown fields (no structural schema): Lifeboat validates specs in its engines, so
/// they accept everything Velero's accept. One list serves `lifeboat install --crds-only` and the sandbox.
///
/// ```swift
/// let crd = CustomResourceKind.velero.first { $0.kind == "Backup" }?.definition(labels: ["component": "velero"])
/// ```
public struct CustomResourceKind: Sendable, Hashable {
    public var group: String
    public var version: String
    public var kind: String
    public var plural: String
    public var namespaced: Bool
    public var shortNames: [String]
    /// Whether the kind has the `status` subresource.
    public var hasStatus: Bool

    public init(
        group: String, version: String, kind: String, plural: String, namespaced: Bool = true,
        shortNames: [String] = [], hasStatus: Bool = true
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.hasStatus = hasStatus
    }

    /// The CRD's name: `<plural>.<group>`.
    public var crdName: String { "\(plural).\(group)" }

    /// The CustomResourceDefinition object (without server-set metadata).
    public func definition(labels: [String: String] = [:], annotations: [String: String] = [:]) -> JSONValue {
        var version: JSONObject = [
            "name": .string(self.version), "served": true, "storage": true,
            "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
        ]
        if hasStatus { version["subresources"] = ["status": [:]] }
        var names: JSONObject = [
            "kind": .string(kind), "listKind": .string(kind + "List"), "plural": .string(plural),
            "singular": .string(kind.lowercased()),
        ]
        if !shortNames.isEmpty { names["shortNames"] = .array(shortNames.map { .string($0) }) }
        var metadata: JSONObject = ["name": .string(crdName)]
        if !labels.isEmpty { metadata["labels"] = .object(JSONObject(uniqueKeysWithValues: labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })) }
        if !annotations.isEmpty {
            metadata["annotations"] = .object(JSONObject(uniqueKeysWithValues: annotations.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
        }
        return [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": .object(metadata),
            "spec": [
                "group": .string(group), "names": .object(names), "scope": namespaced ? "Namespaced" : "Cluster",
                "versions": [.object(version)],
            ],
        ]
    }

    /// Every `velero.io/v1` and `velero.io/v2alpha1` kind, with Velero's names, short names, scope and status.
    public static let velero: [CustomResourceKind] = [
        .init(group: "velero.io", version: "v1", kind: "Backup", plural: "backups"),
        .init(group: "velero.io", version: "v1", kind: "BackupRepository", plural: "backuprepositories"),
        .init(group: "velero.io", version: "v1", kind: "BackupStorageLocation", plural: "backupstoragelocations", shortNames: ["bsl"]),
        .init(group: "velero.io", version: "v1", kind: "DeleteBackupRequest", plural: "deletebackuprequests"),
        .init(group: "velero.io", version: "v1", kind: "DownloadRequest", plural: "downloadrequests"),
        .init(group: "velero.io", version: "v1", kind: "PodVolumeBackup", plural: "podvolumebackups"),
        .init(group: "velero.io", version: "v1", kind: "PodVolumeRestore", plural: "podvolumerestores"),
        .init(group: "velero.io", version: "v1", kind: "Restore", plural: "restores"),
        .init(group: "velero.io", version: "v1", kind: "Schedule", plural: "schedules"),
        .init(group: "velero.io", version: "v1", kind: "ServerStatusRequest", plural: "serverstatusrequests", shortNames: ["ssr"]),
        .init(group: "velero.io", version: "v1", kind: "VolumeSnapshotLocation", plural: "volumesnapshotlocations", shortNames: ["vsl"]),
        .init(group: "velero.io", version: "v2alpha1", kind: "DataDownload", plural: "datadownloads"),
        .init(group: "velero.io", version: "v2alpha1", kind: "DataUpload", plural: "datauploads"),
    ]

    /// The CSI snapshot kinds (`snapshot.storage.k8s.io/v1`).
    public static let volumeSnapshots: [CustomResourceKind] = [
        .init(group: "snapshot.storage.k8s.io", version: "v1", kind: "VolumeSnapshot", plural: "volumesnapshots", shortNames: ["vs"]),
        .init(
            group: "snapshot.storage.k8s.io", version: "v1", kind: "VolumeSnapshotClass", plural: "volumesnapshotclasses",
            namespaced: false, shortNames: ["vsclass", "vsclasses"], hasStatus: false),
        .init(
            group: "snapshot.storage.k8s.io", version: "v1", kind: "VolumeSnapshotContent", plural: "volumesnapshotcontents",
            namespaced: false, shortNames: ["vsc", "vscs"]),
    ]
}
