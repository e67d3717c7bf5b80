/// The parts of Kubernetes `metadata` that the velero.io types carry.
///
/// Other metadata fields (`managedFields`, `ownerReferences`, …) survive a read-modify-write through the owning
/// ``VeleroResource``'s preserved JSON.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var finalizers: [String]?

    public init(
        name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
        annotations: [String: String]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

/// A Kubernetes LabelSelector in its JSON form (matchLabels, matchExpressions).
public struct LabelSelectorSpec: Codable, Sendable, Hashable {
    public struct Requirement: Codable, Sendable, Hashable {
        public var key: String
        public var `operator`: String
        public var values: [String]?

        public init(key: String, operator: String, values: [String]? = nil) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }
    }

    public var matchLabels: [String: String]?
    public var matchExpressions: [Requirement]?

    public init(matchLabels: [String: String]? = nil, matchExpressions: [Requirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }
}

/// A reference to a typed object in the same namespace (`resourcePolicy`, `resourceModifier`).
public struct TypedLocalObjectReference: Codable, Sendable, Hashable {
    public var apiGroup: String?
    public var kind: String
    public var name: String

    public init(kind: String, name: String, apiGroup: String? = nil) {
        self.kind = kind
        self.name = name
        self.apiGroup = apiGroup
    }
}

/// A key of a Secret (`credential` of storage locations).
public struct SecretKeySelector: Codable, Sendable, Hashable {
    public var name: String
    public var key: String
    public var optional: Bool?

    public init(name: String, key: String) {
        self.name = name
        self.key = key
    }
}

/// A reference to an object (`corev1.ObjectReference`: the pod of a PodVolumeBackup or PodVolumeRestore).
public struct ObjectReference: Codable, Sendable, Hashable {
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var apiVersion: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }
}
