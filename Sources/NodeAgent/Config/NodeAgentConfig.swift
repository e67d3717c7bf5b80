public import Kubernetes

/// The node-agent ConfigMap's JSON document (Velero's `NodeAgentConfigs`, `pkg/types/node_agent.go`), as
/// written by the user: nothing is validated or defaulted here. ``NodeAgentConfig/resolve(in:)`` applies
/// Velero's validation and fall-backs.
public struct NodeAgentConfig: Sendable, Hashable {
    /// `loadConcurrency`.
    public var loadConcurrency: LoadConcurrency?
    /// `loadAffinity[]`.
    public var loadAffinity: [LoadAffinity]
    /// `backupPVC`, keyed by the source PVC's storage class.
    public var backupPVC: [String: BackupPVC]
    /// `restorePVC`.
    public var restorePVC: RestorePVC?
    /// `podResources`.
    public var podResources: PodResources?
    /// `priorityClassName` ("" when absent).
    public var priorityClassName: String
    /// `privilegedFsBackup`.
    public var privilegedFsBackup: Bool
    /// `cachePVC`.
    public var cachePVC: CachePVC?
    /// `podLabels` (nil when absent: labels are inherited from the node-agent DaemonSet).
    public var podLabels: [String: String]?
    /// `podAnnotations` (nil when absent: annotations are inherited from the node-agent DaemonSet).
    public var podAnnotations: [String: String]?

    /// Creates a configuration; every section defaults to absent.
    public init(
        loadConcurrency: LoadConcurrency? = nil, loadAffinity: [LoadAffinity] = [], backupPVC: [String: BackupPVC] = [:],
        restorePVC: RestorePVC? = nil, podResources: PodResources? = nil, priorityClassName: String = "",
        privilegedFsBackup: Bool = false, cachePVC: CachePVC? = nil, podLabels: [String: String]? = nil,
        podAnnotations: [String: String]? = nil
    ) {
        self.loadConcurrency = loadConcurrency
        self.loadAffinity = loadAffinity
        self.backupPVC = backupPVC
        self.restorePVC = restorePVC
        self.podResources = podResources
        self.priorityClassName = priorityClassName
        self.privilegedFsBackup = privilegedFsBackup
        self.cachePVC = cachePVC
        self.podLabels = podLabels
        self.podAnnotations = podAnnotations
    }

    /// `loadConcurrency`: per-node data-path concurrency and the cluster-wide prepare queue.
    public struct LoadConcurrency: Sendable, Hashable {
        /// `globalConfig` (0 when absent).
        public var globalConfig: Int
        /// `perNodeConfig[]`.
        public var perNodeConfig: [RuledConfig]
        /// `prepareQueueLength` (0 when absent: no cap).
        public var prepareQueueLength: Int

        public init(globalConfig: Int = 0, perNodeConfig: [RuledConfig] = [], prepareQueueLength: Int = 0) {
            self.globalConfig = globalConfig
            self.perNodeConfig = perNodeConfig
            self.prepareQueueLength = prepareQueueLength
        }
    }

    /// A `perNodeConfig` rule: nodes whose labels match `nodeSelector` get `number`.
    public struct RuledConfig: Sendable, Hashable {
        /// The LabelSelector JSON (`matchLabels`, `matchExpressions`); nil when absent (matches every node).
        public var nodeSelector: JSONValue?
        /// `number` (0 when absent).
        public var number: Int

        public init(nodeSelector: JSONValue? = nil, number: Int = 0) {
            self.nodeSelector = nodeSelector
            self.number = number
        }
    }

    /// A `loadAffinity` entry.
    public struct LoadAffinity: Sendable, Hashable {
        /// The LabelSelector JSON; nil when absent.
        public var nodeSelector: JSONValue?
        /// `storageClass` ("" = applies to every storage class).
        public var storageClass: String

        public init(nodeSelector: JSONValue? = nil, storageClass: String = "") {
            self.nodeSelector = nodeSelector
            self.storageClass = storageClass
        }
    }

    /// A `backupPVC` entry.
    public struct BackupPVC: Sendable, Hashable {
        public var storageClass: String
        public var readOnly: Bool
        public var spcNoRelabeling: Bool
        public var annotations: [String: String]

        public init(storageClass: String = "", readOnly: Bool = false, spcNoRelabeling: Bool = false, annotations: [String: String] = [:]) {
            self.storageClass = storageClass
            self.readOnly = readOnly
            self.spcNoRelabeling = spcNoRelabeling
            self.annotations = annotations
        }
    }

    /// `restorePVC`.
    public struct RestorePVC: Sendable, Hashable {
        public var ignoreDelayBinding: Bool
        public init(ignoreDelayBinding: Bool = false) { self.ignoreDelayBinding = ignoreDelayBinding }
    }

    /// `podResources`: quantities as written ("" when absent).
    public struct PodResources: Sendable, Hashable {
        public var cpuRequest: String
        public var cpuLimit: String
        public var memoryRequest: String
        public var memoryLimit: String
        public var ephemeralStorageRequest: String
        public var ephemeralStorageLimit: String

        public init(
            cpuRequest: String = "", cpuLimit: String = "", memoryRequest: String = "", memoryLimit: String = "",
            ephemeralStorageRequest: String = "", ephemeralStorageLimit: String = ""
        ) {
            self.cpuRequest = cpuRequest
            self.cpuLimit = cpuLimit
            self.memoryRequest = memoryRequest
            self.memoryLimit = memoryLimit
            self.ephemeralStorageRequest = ephemeralStorageRequest
            self.ephemeralStorageLimit = ephemeralStorageLimit
        }
    }

    /// `cachePVC`.
    public struct CachePVC: Sendable, Hashable {
        public var storageClass: String
        /// `residentThresholdInMB` (Velero's key).
        public var residentThresholdInMB: Int64?
        /// `thresholdInGB` (the key Velero's documentation shows; accepted as an alias).
        public var thresholdInGB: Int64?

        public init(storageClass: String = "", residentThresholdInMB: Int64? = nil, thresholdInGB: Int64? = nil) {
            self.storageClass = storageClass
            self.residentThresholdInMB = residentThresholdInMB
            self.thresholdInGB = thresholdInGB
        }
    }
}
