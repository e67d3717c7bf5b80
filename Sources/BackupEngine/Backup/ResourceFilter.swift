/// Which resource types a backup includes: Velero's old ("global") or new ("scoped") filters.
///
/// Old filters are used when `includeClusterResources` is set or `includedResources` /
/// `excludedResources` are non-empty; otherwise the scoped filters apply. Names are the
/// canonical group-resource strings (`pods`, `deployments.apps`), already resolved through discovery.
package struct ResourceFilter: Sendable, Hashable {
    package enum Mode: Sendable, Hashable {
        /// `includedResources`/`excludedResources` with `includeClusterResources`.
        case global(resources: IncludesExcludes, includeClusterResources: Bool?)
        /// `included/excludedClusterScopedResources` and `included/excludedNamespaceScopedResources`.
        case scoped(clusterScoped: IncludesExcludes, namespaceScoped: IncludesExcludes)
    }

    package var mode: Mode
    /// The namespace filter of the same backup (it decides the cluster-scoped defaults).
    package var namespaces: IncludesExcludes

    package init(mode: Mode, namespaces: IncludesExcludes) {
        self.mode = mode
        self.namespaces = namespaces
    }

    /// Whether a resource type is included.
    /// - Parameters:
    ///   - groupResource: canonical name, `resource` for the core group else `resource.group`.
    ///   - namespaced: whether the type is namespace-scoped.
    package func shouldInclude(_ groupResource: String, namespaced: Bool) -> Bool {
        switch mode {
        case .global(let resources, let includeCluster):
            if !namespaced && includeCluster == false { return false }
            if !namespaced && includeCluster == nil && !namespaces.includesEverything && groupResource != "namespaces" {
                return false
            }
            return resources.shouldInclude(groupResource)
        case .scoped(let cluster, let namespacedFilter):
            if namespaced {
                if namespacedFilter.excludesEverything { return false }
                return namespacedFilter.shouldInclude(groupResource)
            }
            if cluster.excludesEverything
                || cluster.excludes.contains(where: { Glob.matches(pattern: $0, groupResource) })
            {
                return false
            }
            if cluster.includes.isEmpty && cluster.excludes.isEmpty && namespaces.includesEverything
                && namespacedFilter.includesEverything
            {
                return true
            }
            return cluster.includes.contains("*")
                || cluster.includes.contains(where: { Glob.matches(pattern: $0, groupResource) })
                || groupResource == "namespaces"
        }
    }

    /// Whether a cluster-scoped item other than a namespace should be dropped at item level:
    /// only when its type is explicitly excluded.
    package func explicitlyExcludesClusterScoped(_ groupResource: String) -> Bool {
        switch mode {
        case .global(let resources, let includeCluster):
            // Velero's GlobalIncludesExcludes.ShouldExclude: with includeClusterResources unset, a cluster-scoped
            // type that the resource includes do not cover is excluded too.
            return includeCluster == false || resources.excludes.contains { Glob.matches(pattern: $0, groupResource) }
                || (includeCluster == nil && !resources.shouldInclude(groupResource))
        case .scoped(let cluster, _):
            return cluster.excludesEverything || cluster.excludes.contains { Glob.matches(pattern: $0, groupResource) }
        }
    }
}
