/// Paths of items inside a backup tarball (velero.md §4).
package enum TarballPaths {
    /// The first entry of every backup tarball.
    package static let versionFile = "metadata/version"
    /// Its content: the backup format version and a newline.
    package static let formatVersion = "1.1.0"
    /// Suffix of the versioned folder holding copies of items at the preferred version.
    package static let preferredVersionSuffix = "-preferredversion"

    /// `resources/<gr>/namespaces/<ns>/<name>.json` or `resources/<gr>/cluster/<name>.json`.
    package static func item(groupResource: String, namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty {
            return "resources/\(groupResource)/namespaces/\(namespace)/\(name).json"
        }
        return "resources/\(groupResource)/cluster/\(name).json"
    }

    /// `resources/<gr>/<version>-preferredversion/{namespaces/<ns>|cluster}/<name>.json`.
    package static func preferredVersionItem(
        groupResource: String,
        version: String,
        namespace: String?,
        name: String
    ) -> String {
        let scope = namespace.map { $0.isEmpty ? "cluster" : "namespaces/\($0)" } ?? "cluster"
        return "resources/\(groupResource)/\(version)\(preferredVersionSuffix)/\(scope)/\(name).json"
    }

    /// A parsed item path.
    package struct ItemLocation: Sendable, Hashable {
        package var groupResource: String
        /// `nil` for the legacy (unversioned) path; else the version folder, e.g. `v1-preferredversion` or `v1beta1`.
        package var versionFolder: String?
        package var namespace: String?
        package var name: String

        /// The API version of a versioned folder (`v1-preferredversion` → `v1`).
        package var version: String? {
            guard let folder = versionFolder else { return nil }
            return folder.hasSuffix(TarballPaths.preferredVersionSuffix)
                ? String(folder.dropLast(TarballPaths.preferredVersionSuffix.count)) : folder
        }
        package var isPreferredVersion: Bool { versionFolder?.hasSuffix(TarballPaths.preferredVersionSuffix) ?? false }
    }

    /// Parses `resources/...` paths; returns `nil` for anything else (metadata, folders).
    package static func parse(_ path: String) -> ItemLocation? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4, parts[0] == "resources", let last = parts.last, last.hasSuffix(".json") else {
            return nil
        }
        let name = String(last.dropLast(5))
        guard !name.isEmpty else { return nil }
        let groupResource = parts[1]
        parts.removeFirst(2)
        parts.removeLast()
        var versionFolder: String?
        if let first = parts.first, first != "cluster" && first != "namespaces" {
            versionFolder = first
            parts.removeFirst()
        }
        switch parts.count {
        case 1 where parts[0] == "cluster":
            return ItemLocation(groupResource: groupResource, versionFolder: versionFolder, namespace: nil, name: name)
        case 2 where parts[0] == "namespaces" && !parts[1].isEmpty:
            return ItemLocation(
                groupResource: groupResource,
                versionFolder: versionFolder,
                namespace: parts[1],
                name: name
            )
        default:
            return nil
        }
    }
}
