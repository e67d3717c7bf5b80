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
    /// Labels of the DaemonSet's pods that are not Velero's own.
    public var labels: [String: String]
    /// Annotations of the DaemonSet's pods.
    public var annotations: [String: String]
    /// Log flags passed on (`--log-level`, `--log-format`).
    public var logLevel: String
    public var logFormat: String

    public init(
        image: String, serviceAccountName: String = "velero", env: [JSONValue] = [], envFrom: [JSONValue] = [],
        volumes: [JSONValue] = [], volumeMounts: [JSONValue] = [], dnsPolicy: String? = nil, dnsConfig: JSONValue? = nil,
        imagePullSecrets: [JSONValue] = [], labels: [String: String] = [:], annotations: [String: String] = [:],
        logLevel: String = "info", logFormat: String = "text"
    ) {
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
