public import Kubernetes

/// The node-agent configuration after Velero's validation and fall-backs: what the node agent actually uses.
///
/// ```swift
/// let (config, warnings) = try NodeAgentConfig.load(configMap: cm, name: "node-agent-config")
/// let resolved = config.resolve(in: ClusterFacts(nodes: nodes, storageClasses: classes, priorityClasses: names))
/// resolved.concurrency(forNodeLabels: node.labels).number
/// ```
public struct ResolvedNodeAgentConfig: Sendable, Hashable {
    /// A valid `perNodeConfig` rule.
    public struct ConcurrencyRule: Sendable, Hashable {
        /// Position in `perNodeConfig`.
        public var index: Int
        public var selector: LabelSelector
        public var number: Int
        /// "perNodeConfig[i]".
        public var name: String { "perNodeConfig[\(index)]" }
    }

    /// A `loadAffinity` entry turned into node-selector requirements.
    public struct LoadAffinityRule: Sendable, Hashable {
        /// Position in `loadAffinity`.
        public var index: Int
        /// "" = every storage class.
        public var storageClass: String
        /// matchLabels (sorted by key) as `In [value]`, then matchExpressions verbatim.
        public var requirements: [NodeAffinity.Requirement]
        /// "loadAffinity[i]".
        public var name: String { "loadAffinity[\(index)]" }
    }

    /// The effective cache PVC settings.
    public struct CachePVC: Sendable, Hashable {
        public var storageClass: String
        /// The threshold in MiB (a restore gets a cache volume when its data size reaches it).
        public var residentThresholdInMB: Int64
        /// Which key gave the threshold: "residentThresholdInMB", "thresholdInGB" or "default".
        public var thresholdSource: String
    }

    /// Velero's default per-node concurrency.
    public static let defaultConcurrency = 1

    /// `loadConcurrency.globalConfig`, or 1 when absent or invalid.
    public var globalConcurrency: Int
    /// The valid `perNodeConfig` rules.
    public var concurrencyRules: [ConcurrencyRule]
    /// Cluster-wide cap on loads being prepared; 0 = no cap.
    public var prepareQueueLength: Int
    /// The `loadAffinity` entries.
    public var loadAffinity: [LoadAffinityRule]
    /// Resources for data-mover pods, or nil (no resources, BestEffort) when absent or invalid.
    public var podResources: ResourceRequirements?
    /// The priority class data-mover pods use, or nil.
    public var priorityClassName: String?
    /// `backupPVC` by source storage class.
    public var backupPVC: [String: NodeAgentConfig.BackupPVC]
    /// `restorePVC.ignoreDelayBinding`.
    public var ignoreDelayBinding: Bool
    /// `privilegedFsBackup`.
    public var privilegedFsBackup: Bool
    /// The cache PVC settings, or nil when absent or invalid.
    public var cachePVC: CachePVC?
    /// `podLabels` (nil: inherit the node-agent DaemonSet's).
    public var podLabels: [String: String]?
    /// `podAnnotations` (nil: inherit the node-agent DaemonSet's).
    public var podAnnotations: [String: String]?
    /// Every warning, in section order.
    public var warnings: [String]

    /// The concurrency of a node with these labels and what gave it: the smallest number among the matching
    /// `perNodeConfig` rules, else the global number.
    public func concurrency(forNodeLabels labels: [String: String]) -> (number: Int, rule: String) {
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
    public func loadAffinity(forStorageClass storageClass: String) -> LoadAffinityRule? {
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
    public func nodeAffinity(
        forStorageClass storageClass: String, volumeTopology: NodeAffinity? = nil, linux: Bool = true
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
    public func backupPVCSettings(forSourceStorageClass source: String) -> (
        storageClass: String, readOnly: Bool, spcNoRelabeling: Bool, annotations: [String: String]
    ) {
        let entry = backupPVC[source]
        let storageClass = (entry?.storageClass).flatMap { $0.isEmpty ? nil : $0 } ?? source
        let readOnly = entry?.readOnly ?? false
        return (storageClass, readOnly, readOnly && (entry?.spcNoRelabeling ?? false), entry?.annotations ?? [:])
    }
}
