import Foundation
package import Kubernetes

/// What a restore did, or — for a dry run — would do, object by object.
///
/// `-o json` prints it; the test that restores right after a dry run compares the two.
package struct RestoreReport: Codable, Sendable, Hashable {
    /// What happens to one object.
    package enum Action: String, Codable, Sendable, Hashable, CaseIterable {
        /// Does not exist in the cluster; is created.
        case create
        /// Exists and differs; patched (policy `update`, or a ServiceAccount merge).
        case update
        /// Exists and is identical (after the restore's labels); nothing to do.
        case skip
        /// Exists and differs under policy `none`: left alone, with a warning.
        case conflict
        /// Not restored because of a filter or a rule (see `reason`).
        case excluded
        /// Could not be restored (see `reason`).
        case error
    }

    /// A field that changes in an update: its JSON pointer and the values before and after.
    package struct FieldChange: Codable, Sendable, Hashable {
        package var path: String
        package var from: JSONValue?
        package var to: JSONValue?

        package init(path: String, from: JSONValue?, to: JSONValue?) {
            self.path = path
            self.from = from
            self.to = to
        }
    }

    package struct Entry: Codable, Sendable, Hashable {
        package var action: Action
        package var groupResource: String
        package var apiVersion: String?
        package var kind: String?
        /// The namespace in the backup.
        package var namespace: String?
        /// The namespace it is restored into (after mapping).
        package var targetNamespace: String?
        package var name: String
        /// Why it is excluded, skipped, conflicting or failed.
        package var reason: String?
        /// For updates: the fields that change.
        package var changes: [FieldChange]?

        package init(
            action: Action,
            groupResource: String,
            apiVersion: String? = nil,
            kind: String? = nil,
            namespace: String? = nil,
            targetNamespace: String? = nil,
            name: String,
            reason: String? = nil,
            changes: [FieldChange]? = nil
        ) {
            self.action = action
            self.groupResource = groupResource
            self.apiVersion = apiVersion
            self.kind = kind
            self.namespace = namespace
            self.targetNamespace = targetNamespace
            self.name = name
            self.reason = reason
            self.changes = changes
        }

        /// `ns/name` or `name` (target namespace).
        package var displayName: String { (targetNamespace ?? namespace).map { "\($0)/\(name)" } ?? name }
    }

    /// One pod volume whose data the restore restores (or, in a dry run, would restore) with a PodVolumeRestore.
    package struct PodVolumeEntry: Codable, Sendable, Hashable {
        /// The PodVolumeRestore's name (`nil` in a dry run: it is generated from `<restore>-`).
        package var name: String?
        /// The restored pod's namespace (after mapping) and name.
        package var podNamespace: String
        package var podName: String
        package var volume: String
        /// The pod's namespace in the backup, whose repository holds the data.
        package var sourceNamespace: String
        package var snapshotID: String
        package var uploaderType: String
        package var repoIdentifier: String
        /// The final phase (`Completed`, `Failed`, `Canceled`), `New` in a dry run, or empty when the wait ended
        /// without one.
        package var phase: String
        /// Why the volume failed.
        package var message: String?

        /// `ns/pod: volume`.
        package var displayName: String { "\(podNamespace)/\(podName): \(volume)" }
    }

    package var restoreName: String
    package var backupName: String
    package var dryRun: Bool
    package var entries: Entries
    /// The pod volumes restored from file-system backups.
    package var podVolumes: [PodVolumeEntry] = []
    /// The writers at once the restore used, in order (one number when fixed; the steps when adapted).
    package var parallelism: [Int]?

    /// Count of entries per action.
    package var totals: [String: Int] {
        var totals: [String: Int] = [:]
        for action in Action.allCases { totals[action.rawValue] = 0 }
        for position in entries.indices { totals[entries.action(at: position).rawValue, default: 0] += 1 }
        return totals
    }

    package init(restoreName: String, backupName: String, dryRun: Bool, entries: Entries = []) {
        self.restoreName = restoreName
        self.backupName = backupName
        self.dryRun = dryRun
        self.entries = entries
    }

    private enum CodingKeys: String, CodingKey { case restoreName, backupName, dryRun, entries, totals, podVolumes }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        restoreName = try c.decode(String.self, forKey: .restoreName)
        backupName = try c.decode(String.self, forKey: .backupName)
        dryRun = try c.decode(Bool.self, forKey: .dryRun)
        entries = try c.decode(Entries.self, forKey: .entries)
        podVolumes = try c.decodeIfPresent([PodVolumeEntry].self, forKey: .podVolumes) ?? []
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(restoreName, forKey: .restoreName)
        try c.encode(backupName, forKey: .backupName)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(totals, forKey: .totals)
        try c.encode(entries, forKey: .entries)
        if !podVolumes.isEmpty { try c.encode(podVolumes, forKey: .podVolumes) }
    }

    /// Velero's restore resource list file, gzipped: `"<apiVersion>/<Kind>"` → `["ns/name(created)", …]`.
    package func resourceListFile() throws -> [UInt8] { try entries.resourceListFile() }

    /// The metadata the API server manages (who wrote which field, versions, identity, times): a restore cannot
    /// set it, so differences there are left out of a report's changes.
    package static let serverManagedPaths: Set<String> = [
        "/metadata/managedFields", "/metadata/resourceVersion", "/metadata/uid", "/metadata/creationTimestamp",
        "/metadata/generation", "/metadata/selfLink", "/metadata/deletionTimestamp",
        "/metadata/deletionGracePeriodSeconds",
    ]

    /// The fields that differ between two objects, as JSON pointers (objects recursed, arrays compared whole),
    /// without the server-managed metadata (``serverManagedPaths``).
    package static func changes(from old: JSONValue, to new: JSONValue, path: String = "") -> [FieldChange] {
        if serverManagedPaths.contains(path) { return [] }
        if case .object(let a) = old, case .object(let b) = new {
            var result: [FieldChange] = []
            for (key, value) in b {
                let child =
                    path + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                if serverManagedPaths.contains(child) { continue }
                if let before = a[key] {
                    result += changes(from: before, to: value, path: child)
                } else {
                    result.append(FieldChange(path: child, from: nil, to: value))
                }
            }
            for (key, value) in a where b[key] == nil && !serverManagedPaths.contains(path + "/" + key) {
                result.append(FieldChange(path: path + "/" + key, from: value, to: nil))
            }
            return result
        }
        return old == new ? [] : [FieldChange(path: path.isEmpty ? "/" : path, from: old, to: new)]
    }
}
