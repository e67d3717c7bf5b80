/// The order in which a restore processes group-resources (Velero's `types.Priorities` and
/// `getOrderedResources`): the high list first, then every other group-resource in the backup
/// alphabetically, then the low list.
///
/// Entries are canonical group-resource strings: `resource` for the core group, `resource.group`
/// otherwise (e.g. `deployments.apps`).
///
/// ```swift
/// let priorities = try RestorePriorities(parsing: "namespaces,pods,-,services")
/// let order = priorities.ordered(groupResourcesInBackup: ["services", "configmaps", "pods"])
/// // ["pods", "configmaps", "services"]
/// ```
package struct RestorePriorities: Sendable, Hashable {
    /// Restored first, in this order.
    package var high: [String]
    /// Restored last, in this order.
    package var low: [String]

    /// Creates priorities from explicit lists.
    package init(high: [String] = [], low: [String] = []) {
        self.high = high
        self.low = low
    }

    /// Velero's default high-priority list (`pkg/cmd/server/config/config.go`), including the singular
    /// `volumesnapshotclass.snapshot.storage.k8s.io` exactly as Velero spells it.
    package static let defaultHigh: [String] = [
        "customresourcedefinitions",
        "namespaces",
        "storageclasses",
        "volumesnapshotclass.snapshot.storage.k8s.io",
        "volumesnapshotcontents.snapshot.storage.k8s.io",
        "volumesnapshots.snapshot.storage.k8s.io",
        "datauploads.velero.io",
        "persistentvolumes",
        "persistentvolumeclaims",
        "clusterroles",
        "roles",
        "serviceaccounts",
        "clusterrolebindings",
        "rolebindings",
        "secrets",
        "configmaps",
        "limitranges",
        "priorityclasses",
        "pods",
        "replicasets.apps",
        "clusterclasses.cluster.x-k8s.io",
        "endpoints",
        "services",
    ]

    /// Velero's default low-priority list.
    package static let defaultLow: [String] = [
        "clusterbootstraps.run.tanzu.vmware.com",
        "clusters.cluster.x-k8s.io",
        "clusterresourcesets.addons.cluster.x-k8s.io",
        "apps.kappctrl.k14s.io",
        "packageinstalls.packaging.carvel.dev",
    ]

    /// Velero's default priorities.
    package static let `default` = RestorePriorities(high: defaultHigh, low: defaultLow)

    /// The separator between the high and the low list in the flag syntax.
    package static let separator = "-"

    /// Parses the `--restore-resource-priorities` syntax: a comma-separated list in which one `-`
    /// entry separates the high list from the low list (`a,b,-,c`). No `-` means everything is high.
    /// An empty string keeps the defaults, as Velero's flag does.
    ///
    /// - Throws: ``BackupEngineError`` `.invalidPriorities` with Velero's message
    ///   `multiple priority separator "-" found` when `-` appears more than once.
    package init(parsing flag: String) throws {
        if flag.isEmpty {
            self = .default
            return
        }
        let entries = flag.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let separators = entries.indices.filter { entries[$0] == Self.separator }
        guard separators.count <= 1 else {
            throw BackupEngineError(
                code: .invalidPriorities,
                message: "invalid --restore-resource-priorities \"\(flag)\": multiple priority separator \"-\" found"
            )
        }
        guard let index = separators.first else {
            self.init(high: entries)
            return
        }
        self.init(high: Array(entries[..<index]), low: Array(entries[(index + 1)...]))
    }

    /// The flag form (`high,-,low`; no separator when the low list is empty), like Velero's `String()`.
    package var flagValue: String {
        var parts = high
        if !low.isEmpty {
            parts.append(Self.separator)
            parts.append(contentsOf: low)
        }
        return parts.joined(separator: ",")
    }

    /// The order to restore the group-resources found in a backup: the high entries present in the
    /// backup, then the other backed-up group-resources sorted by byte order (Go's `sort.Strings`),
    /// then the low entries present in the backup. Each group-resource appears once, at its first place.
    ///
    /// - Parameters:
    ///   - groupResourcesInBackup: the group-resources (canonical strings) that have items in the backup.
    ///   - canonicalize: maps a priority entry to its canonical group-resource (e.g. through discovery,
    ///     so `po` becomes `pods`); return nil to drop an entry that cannot be resolved. Defaults to identity.
    /// - Returns: canonical group-resource strings, each once.
    package func ordered(
        groupResourcesInBackup: some Sequence<String>,
        canonicalize: (String) -> String? = { $0 }
    ) -> [String] {
        let inBackup = Set(groupResourcesInBackup)
        let highResolved = high.compactMap(canonicalize)
        let lowResolved = low.compactMap(canonicalize)
        let prioritized = Set(highResolved).union(lowResolved)
        var seen = Set<String>()
        var result: [String] = []
        func emit(_ resource: String) {
            guard inBackup.contains(resource), seen.insert(resource).inserted else { return }
            result.append(resource)
        }
        highResolved.forEach(emit)
        inBackup.filter { !prioritized.contains($0) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .forEach(emit)
        lowResolved.forEach(emit)
        return result
    }
}
