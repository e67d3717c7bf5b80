import Foundation
import Kubernetes
import ObjectStorage
import VeleroAPI

@testable import BackupEngine

/// Builds a backup in Velero's layout from the layout facts alone (velero.md §4–§5), without
/// Lifeboat's backup writer: `metadata/version`, items at their legacy paths and (by default) their
/// `<version>-preferredversion` copies, a `velero-backup.json` as Velero writes it.
///
/// ```swift
/// var backup = VeleroBackupBuilder(name: "b1")
/// backup.add(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "namespace": "n"]])
/// let store = try await backup.store()
/// ```
struct VeleroBackupBuilder {
    /// How an item is written.
    enum Copies {
        /// The legacy path and the `-preferredversion` copy (what Velero writes for every item).
        case legacyAndPreferred
        /// Only the legacy path.
        case legacyOnly
        /// Only the `<version>-preferredversion` copy.
        case preferredOnly
    }

    var name: String
    var phase = "Completed"
    var includeVersionFile = true
    /// Tarball entries in write order.
    private(set) var entries: [(path: String, bytes: [UInt8])] = []

    init(name: String) { self.name = name }

    /// The group-resource folder of an object: `resource` for the core group, else `resource.group`.
    static func groupResource(of object: JSONValue) -> String {
        let apiVersion = object["apiVersion"]?.stringValue ?? "v1"
        let kind = object["kind"]?.stringValue ?? ""
        let plural = Self.plural(kind)
        guard let slash = apiVersion.firstIndex(of: "/") else { return plural }
        return "\(plural).\(apiVersion[..<slash])"
    }

    /// Lower-cased plural of a kind (enough for the kinds the tests use).
    static func plural(_ kind: String) -> String {
        let lower = kind.lowercased()
        if lower.hasSuffix("s") { return lower + "es" }
        if lower.hasSuffix("y") { return String(lower.dropLast()) + "ies" }
        return lower + "s"
    }

    /// Adds one object (compact JSON, as Go's `json.Marshal` writes it).
    mutating func add(_ object: JSONValue, groupResource: String? = nil, copies: Copies = .legacyAndPreferred) {
        addRaw(object.encoded(), object: object, groupResource: groupResource, copies: copies)
    }

    /// Adds an item whose bytes are given (e.g. to make the legacy and preferred copies differ).
    mutating func addRaw(
        _ bytes: [UInt8],
        object: JSONValue,
        groupResource: String? = nil,
        copies: Copies = .legacyAndPreferred
    ) {
        let gr = groupResource ?? Self.groupResource(of: object)
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let kind = object["kind"]?.stringValue
        // Namespaces are stored as cluster items.
        let namespace = kind == "Namespace" ? nil : object["metadata"]?["namespace"]?.stringValue
        let apiVersion = object["apiVersion"]?.stringValue ?? "v1"
        let version = apiVersion.split(separator: "/").last.map(String.init) ?? "v1"
        let scope = namespace.map { "namespaces/\($0)" } ?? "cluster"
        if copies != .preferredOnly { entries.append(("resources/\(gr)/\(scope)/\(name).json", bytes)) }
        if copies != .legacyOnly {
            entries.append(("resources/\(gr)/\(version)-preferredversion/\(scope)/\(name).json", bytes))
        }
    }

    /// Adds an arbitrary tarball entry.
    mutating func addEntry(path: String, bytes: [UInt8]) { entries.append((path, bytes)) }

    /// Number of distinct items (legacy and preferred copies counted once).
    var itemCount: Int {
        Set(
            entries.compactMap {
                TarballPaths.parse($0.path).map { "\($0.groupResource)|\($0.namespace ?? "")|\($0.name)" }
            }
        ).count
    }

    /// The uncompressed tar stream (ustar, mode 0755 like Velero's writer).
    func tar() throws -> [UInt8] {
        var writer = TarWriter(modificationTime: 1_700_000_000)
        var out: [UInt8] = []
        if includeVersionFile {
            try writer.appendFile(name: "metadata/version", contents: Array("1.1.0\n".utf8), into: &out)
        }
        for entry in entries { try writer.appendFile(name: entry.path, contents: entry.bytes, into: &out) }
        writer.finish(into: &out)
        return out
    }

    /// The gzipped tarball.
    func tarball() throws -> [UInt8] { try GzipCompressor.compress(try tar()) }

    /// `velero-backup.json` as Velero's pretty-printing serializer writes it (status included; 2-space indent, Go
    /// field order, no trailing newline).
    var backupJSON: [UInt8] {
        let json: JSONValue = [
            "kind": "Backup", "apiVersion": "velero.io/v1",
            "metadata": [
                "name": .string(name), "namespace": "velero", "uid": "3c1a7a52-1b7e-4d4c-9f5e-6f0c1b2a9d11",
                "resourceVersion": "8812", "generation": 7, "creationTimestamp": "2025-03-01T10:00:00Z",
                "labels": ["velero.io/storage-location": "default"],
                "annotations": [
                    "velero.io/resource-timeout": "10m0s", "velero.io/source-cluster-k8s-gitversion": "v1.31.2",
                    "velero.io/source-cluster-k8s-major-version": "1",
                    "velero.io/source-cluster-k8s-minor-version": "31",
                ],
                "managedFields": [
                    [
                        "manager": "velero-server", "operation": "Update", "apiVersion": "velero.io/v1",
                        "time": "2025-03-01T10:00:05Z", "fieldsType": "FieldsV1", "fieldsV1": ["f:status": [:]],
                    ]
                ],
            ],
            "spec": [
                "metadata": [:], "includedNamespaces": ["*"], "ttl": "720h0m0s", "hooks": [:],
                "storageLocation": "default", "defaultVolumesToFsBackup": false, "csiSnapshotTimeout": "10m0s",
                "itemOperationTimeout": "4h0m0s", "snapshotMoveData": false,
            ],
            "status": [
                "version": 1, "formatVersion": "1.1.0", "expiration": "2025-03-31T10:00:00Z", "phase": .string(phase),
                "startTimestamp": "2025-03-01T10:00:00Z", "completionTimestamp": "2025-03-01T10:00:05Z",
                "progress": ["totalItems": .int(Int64(itemCount)), "itemsBackedUp": .int(Int64(itemCount))],
                "hookStatus": [:],
            ],
        ]
        return json.encoded(indentWidth: 2)
    }

    /// Puts `velero-backup.json` and the tarball under `backups/<name>/` of `store`.
    @discardableResult
    func store(into store: MemoryObjectStore = MemoryObjectStore(), tarball: [UInt8]? = nil) async throws -> BackupStore
    {
        try await store.putData("backups/\(name)/\(name).tar.gz", bytes: try tarball ?? self.tarball())
        try await store.putData("backups/\(name)/velero-backup.json", bytes: backupJSON)
        return BackupStore(store: store, prefix: nil)
    }
}
