import Foundation
package import Kubernetes
package import VeleroAPI

/// What a backup will list, decided from its spec and the cluster's discovery before anything is written.
///
/// Building a plan validates the spec the way Velero's backup controller does; every problem is
/// collected so the user sees all of them at once.
package struct BackupPlan: Sendable {
    /// The resource types to list, in Velero's order.
    package var resources: [APIResource]
    /// The resource filter (old or scoped).
    package var resourceFilter: ResourceFilter
    /// The namespace filter after wildcard expansion.
    package var namespaces: IncludesExcludes
    /// Active namespaces of the cluster (after filtering: the ones to back up from).
    package var includedNamespaces: [String]
    /// The label selector, if any.
    package var labelSelector: LabelSelector?
    /// OR selectors (one list per selector).
    package var orLabelSelectors: [LabelSelector]
    /// Every served resource by canonical group-resource (for resolving additional items).
    package var resourcesByGroupResource: [String: APIResource]
    /// `spec.orderedResources`: per canonical group-resource, the `ns/name` (or `name`) items to put first, in order.
    package var orderedResources: [String: [String]] = [:]

    /// Velero's resource order: discovery order of groups with `extensions` last; in the core
    /// group `pods`, `persistentvolumeclaims`, `persistentvolumes` first; only resources that
    /// support list, create, get and delete; no subresources.
    package static func orderedResources(_ discovery: APIDiscovery) -> [APIResource] {
        let groups =
            discovery.groups.filter { $0.name != "extensions" } + discovery.groups.filter { $0.name == "extensions" }
        var result: [APIResource] = []
        for group in groups {
            var resources = group.resources.filter { resource in
                resource.version == group.preferredVersion && !resource.name.contains("/")
                    && ["list", "create", "get", "delete"].allSatisfy(resource.verbs.contains)
            }
            if group.name.isEmpty {
                let first = ["pods", "persistentvolumeclaims", "persistentvolumes"]
                let head = first.compactMap { name in resources.first { $0.name == name } }
                resources = head + resources.filter { !first.contains($0.name) }
            }
            result += resources
        }
        return result
    }

    /// Validates `spec` and resolves it against the cluster.
    /// - Parameters:
    ///   - activeNamespaces: names of the cluster's namespaces in phase Active.
    /// - Throws: `BackupEngineError` `.invalidSpec` listing every validation error.
    package static func make(spec: BackupSpec, discovery: APIDiscovery, activeNamespaces: [String]) throws -> BackupPlan
    {
        var errors: [String] = []
        let all = discovery.preferredResources
        var byGroupResource: [String: APIResource] = [:]
        for resource in all where !resource.name.contains("/") { byGroupResource[resource.groupResource] = resource }

        // Resource names: resolve what users typed (po, deploy, deployments.apps) to group-resources.
        func resolve(_ names: [String]?, field: String) -> [String] {
            (names ?? []).compactMap { name in
                if name == "*" || NamespaceWildcard.isWildcard(name) { return name }
                do {
                    return try discovery.resolve(name).groupResource
                } catch {
                    errors.append("\(field): resource \(name.debugDescription) is not served by the cluster")
                    return nil
                }
            }
        }
        let oldIncludes = resolve(spec.includedResources, field: "includedResources")
        let oldExcludes = resolve(spec.excludedResources, field: "excludedResources")
        let clusterIncludes = resolve(spec.includedClusterScopedResources, field: "includedClusterScopedResources")
        let clusterExcludes = resolve(spec.excludedClusterScopedResources, field: "excludedClusterScopedResources")
        let nsIncludes = resolve(spec.includedNamespaceScopedResources, field: "includedNamespaceScopedResources")
        let nsExcludes = resolve(spec.excludedNamespaceScopedResources, field: "excludedNamespaceScopedResources")

        let usesOld =
            spec.includeClusterResources != nil || !(spec.includedResources ?? []).isEmpty
            || !(spec.excludedResources ?? []).isEmpty
        let usesNew =
            !(spec.includedClusterScopedResources ?? []).isEmpty || !(spec.excludedClusterScopedResources ?? []).isEmpty
            || !(spec.includedNamespaceScopedResources ?? []).isEmpty
            || !(spec.excludedNamespaceScopedResources ?? []).isEmpty
        if usesOld && usesNew {
            errors.append(
                "include-resources, exclude-resources and include-cluster-resources are old filter parameters; include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources are new filter parameters; they cannot be used together"
            )
        }

        // Namespaces: validate patterns, expand wildcards against active namespaces.
        for pattern in (spec.includedNamespaces ?? []) + (spec.excludedNamespaces ?? []) {
            if let problem = NamespaceWildcard.validate(pattern) { errors.append(problem) }
        }
        let expandedIncludes = NamespaceWildcard.expand(spec.includedNamespaces ?? [], against: activeNamespaces)
        let namespaceFilter = IncludesExcludes(
            includes: expandedIncludes,
            excludes: NamespaceWildcard.expand(spec.excludedNamespaces ?? [], against: activeNamespaces),
            includesNothing: expandedIncludes.isEmpty
                && (spec.includedNamespaces ?? []).contains(where: NamespaceWildcard.isWildcard)
        )
        errors += IncludesExcludes(includes: spec.includedNamespaces ?? [], excludes: spec.excludedNamespaces ?? [])
            .validationErrors().map { "Invalid included/excluded namespace lists: \($0)" }

        let mode: ResourceFilter.Mode
        if usesOld || !usesNew {
            let filter = IncludesExcludes(includes: oldIncludes, excludes: oldExcludes)
            errors += filter.validationErrors().map { "Invalid included/excluded resource lists: \($0)" }
            mode = .global(resources: filter, includeClusterResources: spec.includeClusterResources)
        } else {
            let cluster = IncludesExcludes(includes: clusterIncludes, excludes: clusterExcludes)
            let namespaced = IncludesExcludes(includes: nsIncludes, excludes: nsExcludes)
            errors += cluster.scopedValidationErrors().map { "Invalid cluster-scoped resource lists: \($0)" }
            errors += namespaced.scopedValidationErrors().map { "Invalid namespace-scoped resource lists: \($0)" }
            mode = .scoped(clusterScoped: cluster, namespaceScoped: namespaced)
        }

        // Selectors.
        var labelSelector: LabelSelector?
        var orSelectors: [LabelSelector] = []
        if spec.labelSelector != nil && !(spec.orLabelSelectors ?? []).isEmpty {
            errors.append(
                "encountered labelSelector as well as orLabelSelectors in backup spec, only one can be specified"
            )
        }
        do {
            labelSelector = try spec.labelSelector.map { try $0.selector() }
            orSelectors = try (spec.orLabelSelectors ?? []).map { try $0.selector() }
        } catch {
            errors.append("invalid label selector: \(error)")
        }

        if !errors.isEmpty {
            throw BackupEngineError(code: .invalidSpec, message: errors.joined(separator: "; "))
        }
        var ordered: [String: [String]] = [:]
        for (name, list) in spec.orderedResources ?? [:] {
            guard let resource = try? discovery.resolve(name) else {
                errors.append("orderedResources: resource \(name.debugDescription) is not served by the cluster")
                continue
            }
            ordered[resource.groupResource] = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        if !errors.isEmpty {
            throw BackupEngineError(code: .invalidSpec, message: errors.joined(separator: "; "))
        }
        let resourceFilter = ResourceFilter(mode: mode, namespaces: namespaceFilter)
        return BackupPlan(
            resources: orderedResources(discovery),
            resourceFilter: resourceFilter,
            namespaces: namespaceFilter,
            includedNamespaces: activeNamespaces.filter(namespaceFilter.shouldInclude),
            labelSelector: labelSelector,
            orLabelSelectors: orSelectors,
            resourcesByGroupResource: byGroupResource,
            orderedResources: ordered
        )
    }
}

extension LabelSelectorSpec {
    /// The selector this JSON form describes.
    /// - Throws: `KubeError` `.invalidSelector` for bad operators, keys or values.
    package func selector() throws -> LabelSelector {
        try LabelSelector(json: try JSONValue(encoding: self))
    }
}
