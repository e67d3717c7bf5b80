public import Kubernetes

/// What data-mover pods inherit from the node-agent DaemonSet's pod template (Velero's `getInheritedPodInfo`):
/// image, environment, volumes and mounts, service account, DNS settings, image pull secrets, and the
/// third-party labels and annotations (replaced by `podLabels` / `podAnnotations` when those are set).
public struct DataMoverPodTemplate: Sendable, Hashable {
    public var image: String
    public var serviceAccountName: String
    public var env: [JSONValue]
    public var envFrom: [JSONValue]
    public var volumes: [JSONValue]
    public var volumeMounts: [JSONValue]
    public var dnsPolicy: String?
    public var dnsConfig: JSONValue?
    public var imagePullSecrets: [JSONValue]
    /// The third-party labels of the DaemonSet's pods (``thirdPartyLabels``).
    public var labels: [String: String]
    /// The third-party annotations of the DaemonSet's pods (``thirdPartyAnnotations``).
    public var annotations: [String: String]
    /// The DaemonSet pods' tolerations of the third-party taints (``thirdPartyTolerations``).
    public var tolerations: [JSONValue]
    /// Log flags passed on (`--log-level`, `--log-format`).
    public var logLevel: String
    public var logFormat: String

    public init(
        image: String, serviceAccountName: String = "velero", env: [JSONValue] = [], envFrom: [JSONValue] = [],
        volumes: [JSONValue] = [], volumeMounts: [JSONValue] = [], dnsPolicy: String? = nil, dnsConfig: JSONValue? = nil,
        imagePullSecrets: [JSONValue] = [], labels: [String: String] = [:], annotations: [String: String] = [:],
        tolerations: [JSONValue] = [], logLevel: String = "info", logFormat: String = "text"
    ) {
        self.tolerations = tolerations
        self.image = image
        self.serviceAccountName = serviceAccountName
        self.env = env
        self.envFrom = envFrom
        self.volumes = volumes
        self.volumeMounts = volumeMounts
        self.dnsPolicy = dnsPolicy
        self.dnsConfig = dnsConfig
        self.imagePullSecrets = imagePullSecrets
        self.labels = labels
        self.annotations = annotations
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    /// The only labels data-mover pods inherit from the node-agent DaemonSet (Velero's `util.ThirdPartyLabels`).
    public static let thirdPartyLabels = ["azure.workload.identity/use"]
    /// The only annotations they inherit (Velero's `util.ThirdPartyAnnotations`).
    public static let thirdPartyAnnotations = ["iam.amazonaws.com/role"]
    /// The keys of the only tolerations they inherit (Velero's `util.ThirdPartyTolerations`).
    public static let thirdPartyTolerations = ["kubernetes.azure.com/scalesetpriority", "CriticalAddonsOnly"]

    /// What data-mover pods inherit from the `node-agent` DaemonSet (Velero's `getInheritedPodInfo` and the
    /// controllers' third-party label, annotation and toleration lookups): its first container's image,
    /// environment and mounts, the pod's service account, volumes, DNS settings and image pull secrets, and
    /// only the third-party labels, annotations and tolerations.
    ///
    /// - Returns: nil when the DaemonSet has no pod template with a container.
    public init?(nodeAgentDaemonSet ds: JSONValue) {
        guard let spec = ds["spec"]?["template"]?["spec"], let container = spec["containers"]?[0],
            let image = container["image"]?.stringValue
        else { return nil }
        let metadata = ds["spec"]?["template"]?["metadata"]
        var labels: [String: String] = [:]
        for key in Self.thirdPartyLabels {
            if let value = metadata?["labels"]?[key]?.stringValue { labels[key] = value }
        }
        var annotations: [String: String] = [:]
        for key in Self.thirdPartyAnnotations {
            if let value = metadata?["annotations"]?[key]?.stringValue { annotations[key] = value }
        }
        let tolerations = Self.thirdPartyTolerations.compactMap { key in
            spec["tolerations"]?.arrayValue?.first { $0["key"]?.stringValue == key }
        }
        self.init(
            image: image, serviceAccountName: spec["serviceAccountName"]?.stringValue ?? "velero",
            env: container["env"]?.arrayValue ?? [], envFrom: container["envFrom"]?.arrayValue ?? [],
            volumes: spec["volumes"]?.arrayValue ?? [], volumeMounts: container["volumeMounts"]?.arrayValue ?? [],
            dnsPolicy: spec["dnsPolicy"]?.stringValue, dnsConfig: spec["dnsConfig"],
            imagePullSecrets: spec["imagePullSecrets"]?.arrayValue ?? [], labels: labels, annotations: annotations,
            tolerations: tolerations)
    }

    /// The node's pods directory as the DaemonSet mounts it: the `hostPath` of its `host-pods` volume
    /// (Velero's `GetHostPodPath`), nil without one.
    public var nodePodsPath: String? {
        volumes.first { $0["name"]?.stringValue == "host-pods" }?["hostPath"]?["path"]?.stringValue
    }
}

/// The owner of exposed resources: a load's identity.
public struct LoadReference: Sendable, Hashable {
    public var kind: LoadKind
    public var name: String
    public var namespace: String
    public var uid: String

    public init(kind: LoadKind, name: String, namespace: String, uid: String) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
    }

    /// A controller owner reference to the load.
    public var ownerReference: JSONValue {
        [
            "apiVersion": .string(kind.apiVersion), "kind": .string(kind.rawValue), "name": .string(name),
            "uid": .string(uid), "controller": true,
        ]
    }
}
