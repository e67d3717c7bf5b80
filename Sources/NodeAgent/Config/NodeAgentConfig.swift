package import Kubernetes

/// The node-agent ConfigMap's JSON document (Velero's `NodeAgentConfigs`, `pkg/types/node_agent.go`), as
/// written by the user: nothing is validated or defaulted here. ``NodeAgentConfig/resolve(in:)`` applies
/// Velero's validation and fall-backs.
package struct NodeAgentConfig: Sendable, Hashable {
    /// `loadConcurrency`.
    package var loadConcurrency: LoadConcurrency?
    /// `loadAffinity[]`.
    package var loadAffinity: [LoadAffinity]
    /// `backupPVC`, keyed by the source PVC's storage class.
    package var backupPVC: [String: BackupPVC]
    /// `restorePVC`.
    package var restorePVC: RestorePVC?
    /// `podResources`.
    package var podResources: PodResources?
    /// `priorityClassName` ("" when absent).
    package var priorityClassName: String
    /// `privilegedFsBackup`.
    package var privilegedFsBackup: Bool
    /// `cachePVC`.
    package var cachePVC: CachePVC?
    /// `podLabels` (nil when absent: labels are inherited from the node-agent DaemonSet).
    package var podLabels: [String: String]?
    /// `podAnnotations` (nil when absent: annotations are inherited from the node-agent DaemonSet).
    package var podAnnotations: [String: String]?

    /// Creates a configuration; every section defaults to absent.
    package init(
        loadConcurrency: LoadConcurrency? = nil,
        loadAffinity: [LoadAffinity] = [],
        backupPVC: [String: BackupPVC] = [:],
        restorePVC: RestorePVC? = nil,
        podResources: PodResources? = nil,
        priorityClassName: String = "",
        privilegedFsBackup: Bool = false,
        cachePVC: CachePVC? = nil,
        podLabels: [String: String]? = nil,
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
    package struct LoadConcurrency: Sendable, Hashable {
        /// `globalConfig` (0 when absent).
        package var globalConfig: Int
        /// `perNodeConfig[]`.
        package var perNodeConfig: [RuledConfig]
        /// `prepareQueueLength` (0 when absent: no cap).
        package var prepareQueueLength: Int

        package init(globalConfig: Int = 0, perNodeConfig: [RuledConfig] = [], prepareQueueLength: Int = 0) {
            self.globalConfig = globalConfig
            self.perNodeConfig = perNodeConfig
            self.prepareQueueLength = prepareQueueLength
        }
    }

    /// A `perNodeConfig` rule: nodes whose labels match `nodeSelector` get `number`.
    package struct RuledConfig: Sendable, Hashable {
        /// The LabelSelector JSON (`matchLabels`, `matchExpressions`); nil when absent (matches every node).
        package var nodeSelector: JSONValue?
        /// `number` (0 when absent).
        package var number: Int

        package init(nodeSelector: JSONValue? = nil, number: Int = 0) {
            self.nodeSelector = nodeSelector
            self.number = number
        }
    }

    /// A `loadAffinity` entry.
    package struct LoadAffinity: Sendable, Hashable {
        /// The LabelSelector JSON; nil when absent.
        package var nodeSelector: JSONValue?
        /// `storageClass` ("" = applies to every storage class).
        package var storageClass: String

        package init(nodeSelector: JSONValue? = nil, storageClass: String = "") {
            self.nodeSelector = nodeSelector
            self.storageClass = storageClass
        }
    }

    /// A `backupPVC` entry.
    package struct BackupPVC: Sendable, Hashable {
        package var storageClass: String
        package var readOnly: Bool
        package var spcNoRelabeling: Bool
        package var annotations: [String: String]

        package init(
            storageClass: String = "",
            readOnly: Bool = false,
            spcNoRelabeling: Bool = false,
            annotations: [String: String] = [:]
        ) {
            self.storageClass = storageClass
            self.readOnly = readOnly
            self.spcNoRelabeling = spcNoRelabeling
            self.annotations = annotations
        }
    }

    /// `restorePVC`.
    package struct RestorePVC: Sendable, Hashable {
        package var ignoreDelayBinding: Bool
        package init(ignoreDelayBinding: Bool = false) { self.ignoreDelayBinding = ignoreDelayBinding }
    }

    /// `podResources`: quantities as written ("" when absent).
    package struct PodResources: Sendable, Hashable {
        package var cpuRequest: String
        package var cpuLimit: String
        package var memoryRequest: String
        package var memoryLimit: String
        package var ephemeralStorageRequest: String
        package var ephemeralStorageLimit: String

        package init(
            cpuRequest: String = "",
            cpuLimit: String = "",
            memoryRequest: String = "",
            memoryLimit: String = "",
            ephemeralStorageRequest: String = "",
            ephemeralStorageLimit: String = ""
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
    package struct CachePVC: Sendable, Hashable {
        package var storageClass: String
        /// `residentThresholdInMB` (Velero's key).
        package var residentThresholdInMB: Int64?
        /// `thresholdInGB` (the key Velero's documentation shows; accepted as an alias).
        package var thresholdInGB: Int64?

        package init(storageClass: String = "", residentThresholdInMB: Int64? = nil, thresholdInGB: Int64? = nil) {
            self.storageClass = storageClass
            self.residentThresholdInMB = residentThresholdInMB
            self.thresholdInGB = thresholdInGB
        }
    }
}
