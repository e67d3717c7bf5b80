import Kubernetes
import VeleroAPI

/// Which backed-up items a restore selects (velero.md §6.2 step 4), and why the others are left out.
struct RestoreSelection: Sendable {
    /// Group-resources that bypass every filter (`resourceMustHave`).
    static let mustHave: Set<String> = ["datauploads.velero.io", "volumesnapshotcontents.snapshot.storage.k8s.io"]

    /// Group-resources no restore ever creates, whatever its filters say (Velero's `nonRestorableResources`,
    /// `pkg/controller/restore_controller.go`): a real API server rejects most of them (Events need fields a
    /// backup does not carry), and the rest are owned by the cluster or by Velero itself.
    static let nonRestorable = [
        "nodes", "events", "events.events.k8s.io", "backups.velero.io", "restores.velero.io",
        "resticrepositories.velero.io", "csinodes.storage.k8s.io", "volumeattachments.storage.k8s.io",
        "backuprepositories.velero.io",
    ]

    var resources: IncludesExcludes
    var namespaces: IncludesExcludes
    var includeClusterResources: Bool?
    var labelSelector: LabelSelector?
    var orLabelSelectors: [LabelSelector]
    var namespaceMapping: [String: String]
    var namespacedGroupResources: Set<String>
    var selectedCount: Int

    init(spec: RestoreSpec, contents: BackupContents, discovery: APIDiscovery) throws {
        var errors: [String] = []
        func canonical(_ names: [String]?) -> [String] {
            (names ?? []).map { name in
                if name == "*" || NamespaceWildcard.isWildcard(name) { return name }
                return (try? discovery.resolve(name).groupResource) ?? name
            }
        }
        let includedResources = canonical(spec.includedResources)
        var excludedResources = canonical(spec.excludedResources)
        for resource in Self.nonRestorable {
            if includedResources.contains(resource) { errors.append("\(resource) are non-restorable resources") }
            if !excludedResources.contains(resource) { excludedResources.append(resource) }
        }
        resources = IncludesExcludes(includes: includedResources, excludes: excludedResources)
        errors += resources.validationErrors().map { "Invalid included/excluded resource lists: \($0)" }
        let backedUpNamespaces = Set(contents.items("namespaces").map(\.name)).union(
            contents.itemsByGroupResource.values.flatMap { $0.compactMap(\.namespace) }
        )
        for pattern in (spec.includedNamespaces ?? []) + (spec.excludedNamespaces ?? []) {
            if let problem = NamespaceWildcard.validate(pattern) { errors.append(problem) }
        }
        namespaces = IncludesExcludes(
            includes: NamespaceWildcard.expand(spec.includedNamespaces ?? [], against: backedUpNamespaces.sorted()),
            excludes: NamespaceWildcard.expand(spec.excludedNamespaces ?? [], against: backedUpNamespaces.sorted())
        )
        errors += IncludesExcludes(includes: spec.includedNamespaces ?? [], excludes: spec.excludedNamespaces ?? [])
            .validationErrors().map { "Invalid included/excluded namespace lists: \($0)" }
        includeClusterResources = spec.includeClusterResources
        namespaceMapping = spec.namespaceMapping ?? [:]
        for (source, target) in namespaceMapping where !KubeNames.isDNSLabel(target) || source.isEmpty {
            errors.append("namespace mapping \(source):\(target) is invalid: the target must be a valid namespace name")
        }
        do {
            labelSelector = try spec.labelSelector.map { try $0.selector() }
            orLabelSelectors = try (spec.orLabelSelectors ?? []).map { try $0.selector() }
        } catch {
            labelSelector = nil
            orLabelSelectors = []
            errors.append("invalid label selector: \(error)")
        }
        if !errors.isEmpty { throw BackupEngineError(code: .invalidSpec, message: errors.joined(separator: "; ")) }

        // Which group-resources are namespaced: from the backup's own layout.
        var namespaced: Set<String> = []
        for (groupResource, items) in contents.itemsByGroupResource where items.contains(where: { $0.namespace != nil })
        {
            namespaced.insert(groupResource)
        }
        namespacedGroupResources = namespaced
        selectedCount = 0
        var count = 0
        for (groupResource, items) in contents.itemsByGroupResource where groupResource != "namespaces" {
            for item in items {
                let needsObject = labelSelector != nil || !orLabelSelectors.isEmpty
                let object = needsObject ? (try? contents.bytes(of: item)).flatMap { try? JSONValue(parsing: $0) } : nil
                if exclusionReason(groupResource: groupResource, item: item, object: object) == nil { count += 1 }
            }
        }
        selectedCount = count
    }

    /// The target namespace of a backed-up namespace.
    func target(_ namespace: String?) -> String? {
        guard let namespace else { return nil }
        return namespaceMapping[namespace] ?? namespace
    }

    /// Why an item is not restored, or `nil` when it is selected.
    func exclusionReason(
        groupResource: String,
        item: BackupContents.Item,
        object: JSONValue?,
        additional: Bool = false
    ) -> String? {
        if Self.mustHave.contains(groupResource) { return nil }
        if Self.nonRestorable.contains(groupResource) {
            return "\(groupResource) are non-restorable resources (never restored, as in Velero)"
        }
        if !resources.shouldInclude(groupResource) {
            return "resource \(groupResource) is excluded by the restore's resource filter"
        }
        if let namespace = item.namespace {
            if !namespaces.shouldInclude(namespace) {
                return "namespace \(namespace) is excluded by the restore's namespace filter"
            }
        } else if !additional && groupResource != "namespaces" {
            if includeClusterResources == false {
                return "cluster-scoped resources are excluded (includeClusterResources=false)"
            }
            if includeClusterResources == nil && !namespaces.includesEverything {
                return
                    "cluster-scoped resources are not restored when the restore is limited to some namespaces (set --include-cluster-resources=true)"
            }
        }
        if !additional, let object {
            let labels = (object["metadata"]?["labels"]?.objectValue ?? [:]).reduce(into: [String: String]()) {
                $0[$1.key] = $1.value.stringValue ?? ""
            }
            if let labelSelector, !labelSelector.matches(labels) {
                return "labels do not match the selector \(labelSelector)"
            }
            if !orLabelSelectors.isEmpty && !orLabelSelectors.contains(where: { $0.matches(labels) }) {
                return "labels match none of the OR selectors"
            }
        }
        return nil
    }
}
