package import Kubernetes

/// What data-mover pods inherit from the node-agent DaemonSet's pod template (Velero's `getInheritedPodInfo`):
/// image, environment, volumes and mounts, service account, DNS settings, image pull secrets, and the
/// third-party labels and annotations (replaced by `podLabels` / `podAnnotations` when those are set).
package struct DataMoverPodTemplate: Sendable, Hashable {
    package var image: String
    package var serviceAccountName: String
    package var env: [JSONValue]
    package var envFrom: [JSONValue]
    package var volumes: [JSONValue]
    package var volumeMounts: [JSONValue]
    package var dnsPolicy: String?
    package var dnsConfig: JSONValue?
    package var imagePullSecrets: [JSONValue]
    /// The third-party labels of the DaemonSet's pods (``thirdPartyLabels``).
    package var labels: [String: String]
    /// The third-party annotations of the DaemonSet's pods (``thirdPartyAnnotations``).
    package var annotations: [String: String]
    /// The DaemonSet pods' tolerations of the third-party taints (``thirdPartyTolerations``).
    package var tolerations: [JSONValue]
    /// Log flags passed on (`--log-level`, `--log-format`).
    package var logLevel: String
    package var logFormat: String

    package init(
        image: String,
        serviceAccountName: String = "velero",
        env: [JSONValue] = [],
        envFrom: [JSONValue] = [],
        volumes: [JSONValue] = [],
        volumeMounts: [JSONValue] = [],
        dnsPolicy: String? = nil,
        dnsConfig: JSONValue? = nil,
        imagePullSecrets: [JSONValue] = [],
        labels: [String: String] = [:],
        annotations: [String: String] = [:],
        tolerations: [JSONValue] = [],
        logLevel: String = "info",
        logFormat: String = "text"
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
    package static let thirdPartyLabels = ["azure.workload.identity/use"]
    /// The only annotations they inherit (Velero's `util.ThirdPartyAnnotations`).
    package static let thirdPartyAnnotations = ["iam.amazonaws.com/role"]
    /// The keys of the only tolerations they inherit (Velero's `util.ThirdPartyTolerations`).
    package static let thirdPartyTolerations = ["kubernetes.azure.com/scalesetpriority", "CriticalAddonsOnly"]

    /// What data-mover pods inherit from the `node-agent` DaemonSet (Velero's `getInheritedPodInfo` and the
    /// controllers' third-party label, annotation and toleration lookups): its first container's image,
    /// environment and mounts, the pod's service account, volumes, DNS settings and image pull secrets, and
    /// only the third-party labels, annotations and tolerations.
    ///
    /// - Returns: nil when the DaemonSet has no pod template with a container.
    package init?(nodeAgentDaemonSet ds: JSONValue) {
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
            image: image,
            serviceAccountName: spec["serviceAccountName"]?.stringValue ?? "velero",
            env: container["env"]?.arrayValue ?? [],
            envFrom: container["envFrom"]?.arrayValue ?? [],
            volumes: spec["volumes"]?.arrayValue ?? [],
            volumeMounts: container["volumeMounts"]?.arrayValue ?? [],
            dnsPolicy: spec["dnsPolicy"]?.stringValue,
            dnsConfig: spec["dnsConfig"],
            imagePullSecrets: spec["imagePullSecrets"]?.arrayValue ?? [],
            labels: labels,
            annotations: annotations,
            tolerations: tolerations
        )
    }

    /// The template of a node agent that runs without a `node-agent` DaemonSet (`lifeboat node-agent server`
    /// started by hand): `image`, and the environment Velero's DaemonSet gives its containers so that the
    /// micro-service in a hosting pod finds its node and namespace — `NODE_NAME` from `spec.nodeName` and
    /// `VELERO_NAMESPACE` from `metadata.namespace` (the hosting pods live in the install namespace).
    package static func standalone(image: String) -> DataMoverPodTemplate {
        DataMoverPodTemplate(
            image: image,
            env: [
                ["name": "NODE_NAME", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]],
                ["name": "VELERO_NAMESPACE", "valueFrom": ["fieldRef": ["fieldPath": "metadata.namespace"]]],
            ]
        )
    }

    /// The node's pods directory as the DaemonSet mounts it: the `hostPath` of its `host-pods` volume
    /// (Velero's `GetHostPodPath`), nil without one.
    package var nodePodsPath: String? {
        volumes.first { $0["name"]?.stringValue == "host-pods" }?["hostPath"]?["path"]?.stringValue
    }
}

/// The owner of exposed resources: a load's identity.
package struct LoadReference: Sendable, Hashable {
    package var kind: LoadKind
    package var name: String
    package var namespace: String
    package var uid: String

    package init(kind: LoadKind, name: String, namespace: String, uid: String) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
    }

    /// A controller owner reference to the load.
    package var ownerReference: JSONValue {
        [
            "apiVersion": .string(kind.apiVersion), "kind": .string(kind.rawValue), "name": .string(name),
            "uid": .string(uid), "controller": true,
        ]
    }
}
