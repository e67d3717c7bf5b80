package import Kubernetes

/// The node-agent configuration after Velero's validation and fall-backs: what the node agent actually uses.
///
/// ```swift
/// let (config, warnings) = try NodeAgentConfig.load(configMap: cm, name: "node-agent-config")
/// let resolved = config.resolve(in: ClusterFacts(nodes: nodes, storageClasses: classes, priorityClasses: names))
/// resolved.concurrency(forNodeLabels: node.labels).number
/// ```
package struct ResolvedNodeAgentConfig: Sendable, Hashable {
    /// A valid `perNodeConfig` rule.
    package struct ConcurrencyRule: Sendable, Hashable {
        /// Position in `perNodeConfig`.
        package var index: Int
        package var selector: LabelSelector
        package var number: Int
        /// "perNodeConfig[i]".
        package var name: String { "perNodeConfig[\(index)]" }
    }

    /// A `loadAffinity` entry turned into node-selector requirements.
    package struct LoadAffinityRule: Sendable, Hashable {
        /// Position in `loadAffinity`.
        package var index: Int
        /// "" = every storage class.
        package var storageClass: String
        /// matchLabels (sorted by key) as `In [value]`, then matchExpressions verbatim.
        package var requirements: [NodeAffinity.Requirement]
        /// "loadAffinity[i]".
        package var name: String { "loadAffinity[\(index)]" }
    }

    /// The effective cache PVC settings.
    package struct CachePVC: Sendable, Hashable {
        package var storageClass: String
        /// The threshold in MiB (a restore gets a cache volume when its data size reaches it).
        package var residentThresholdInMB: Int64
        /// Which key gave the threshold: "residentThresholdInMB", "thresholdInGB" or "default".
        package var thresholdSource: String
    }

    /// Velero's default per-node concurrency.
    package static let defaultConcurrency = 1

    /// `loadConcurrency.globalConfig`, or 1 when absent or invalid.
    package var globalConcurrency: Int
    /// The valid `perNodeConfig` rules.
    package var concurrencyRules: [ConcurrencyRule]
    /// Cluster-wide cap on loads being prepared; 0 = no cap.
    package var prepareQueueLength: Int
    /// The `loadAffinity` entries.
    package var loadAffinity: [LoadAffinityRule]
    /// Resources for data-mover pods, or nil (no resources, BestEffort) when absent or invalid.
    package var podResources: ResourceRequirements?
    /// The priority class data-mover pods use, or nil.
    package var priorityClassName: String?
    /// `backupPVC` by source storage class.
    package var backupPVC: [String: NodeAgentConfig.BackupPVC]
    /// `restorePVC.ignoreDelayBinding`.
    package var ignoreDelayBinding: Bool
    /// `privilegedFsBackup`.
    package var privilegedFsBackup: Bool
    /// The cache PVC settings, or nil when absent or invalid.
    package var cachePVC: CachePVC?
    /// `podLabels` (nil: inherit the node-agent DaemonSet's).
    package var podLabels: [String: String]?
    /// `podAnnotations` (nil: inherit the node-agent DaemonSet's).
    package var podAnnotations: [String: String]?
    /// Every warning, in section order.
    package var warnings: [String]

    /// The concurrency of a node with these labels and what gave it: the smallest number among the matching
    /// `perNodeConfig` rules, else the global number.
    package func concurrency(forNodeLabels labels: [String: String]) -> (number: Int, rule: String) {
        var best: ConcurrencyRule?
        for rule in concurrencyRules where rule.selector.matches(labels) {
            if best == nil || rule.number < (best?.number ?? Int.max) { best = rule }
        }
        if let best { return (best.number, best.name) }
        return (globalConcurrency, "globalConfig")
    }

    /// The `loadAffinity` entry for a volume of storage class `storageClass` (Velero's
    /// `GetLoadAffinityByStorageClass`): the first entry naming it, else the first entry without a
    /// storage class, else none.
    package func loadAffinity(forStorageClass storageClass: String) -> LoadAffinityRule? {
        var global: LoadAffinityRule?
        for rule in loadAffinity {
            if rule.storageClass == storageClass { return rule }
            if rule.storageClass.isEmpty && global == nil { global = rule }
        }
        return global
    }

    /// The required node affinity of a data-mover pod (Velero's `ToSystemAffinity`): the volume's topology
    /// terms (or one empty term) each extended with the load-affinity requirements; Linux pods also get
    /// `kubernetes.io/os NotIn [windows]`. nil when there is nothing to require.
    package func nodeAffinity(
        forStorageClass storageClass: String,
        volumeTopology: NodeAffinity? = nil,
        linux: Bool = true
    ) -> NodeAffinity? {
        var requirements = loadAffinity(forStorageClass: storageClass)?.requirements ?? []
        if linux { requirements.append(.init(key: "kubernetes.io/os", operator: "NotIn", values: ["windows"])) }
        if let volumeTopology, !volumeTopology.terms.isEmpty {
            return NodeAffinity(terms: volumeTopology.terms.map { $0 + requirements })
        }
        return requirements.isEmpty ? nil : NodeAffinity(terms: [requirements])
    }

    /// The effective backup PVC settings for a source storage class: storage class (the source's when not
    /// overridden), access mode, read-only mount, SELinux `spc_t` (only when read-only) and annotations.
    package func backupPVCSettings(
        forSourceStorageClass source: String
    ) -> (
        storageClass: String, readOnly: Bool, spcNoRelabeling: Bool, annotations: [String: String]
    ) {
        let entry = backupPVC[source]
        let storageClass = (entry?.storageClass).flatMap { $0.isEmpty ? nil : $0 } ?? source
        let readOnly = entry?.readOnly ?? false
        return (storageClass, readOnly, readOnly && (entry?.spcNoRelabeling ?? false), entry?.annotations ?? [:])
    }
}
