/// The parts of Kubernetes `metadata` that the velero.io types carry.
///
/// Other metadata fields (`managedFields`, …) survive a read-modify-write through the owning
/// ``VeleroResource``'s preserved JSON.
package struct ObjectMeta: Codable, Sendable, Hashable {
    package var name: String?
    package var generateName: String?
    package var namespace: String?
    package var uid: String?
    package var resourceVersion: String?
    package var generation: Int64?
    package var creationTimestamp: String?
    package var deletionTimestamp: String?
    package var labels: [String: String]?
    package var annotations: [String: String]?
    package var finalizers: [String]?
    /// The objects this one belongs to (a PodVolumeBackup's Backup, a scheduled Backup's Schedule).
    package var ownerReferences: [OwnerReference]?

    package init(
        name: String? = nil,
        namespace: String? = nil,
        labels: [String: String]? = nil,
        annotations: [String: String]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

/// A Kubernetes `OwnerReference`: the garbage collector deletes the dependent when its owner goes (unless
/// orphaned), and `controller` marks the one owner that manages it.
package struct OwnerReference: Codable, Sendable, Hashable {
    package var apiVersion: String
    package var kind: String
    package var name: String
    package var uid: String
    package var controller: Bool?
    package var blockOwnerDeletion: Bool?

    package init(
        apiVersion: String,
        kind: String,
        name: String,
        uid: String,
        controller: Bool? = nil,
        blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// A Kubernetes LabelSelector in its JSON form (matchLabels, matchExpressions).
package struct LabelSelectorSpec: Codable, Sendable, Hashable {
    package struct Requirement: Codable, Sendable, Hashable {
        package var key: String
        package var `operator`: String
        package var values: [String]?

        package init(key: String, operator: String, values: [String]? = nil) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }
    }

    package var matchLabels: [String: String]?
    package var matchExpressions: [Requirement]?

    package init(matchLabels: [String: String]? = nil, matchExpressions: [Requirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }
}

/// A reference to a typed object in the same namespace (`resourcePolicy`, `resourceModifier`).
package struct TypedLocalObjectReference: Codable, Sendable, Hashable {
    package var apiGroup: String?
    package var kind: String
    package var name: String

    package init(kind: String, name: String, apiGroup: String? = nil) {
        self.kind = kind
        self.name = name
        self.apiGroup = apiGroup
    }
}

/// A key of a Secret (`credential` of storage locations).
package struct SecretKeySelector: Codable, Sendable, Hashable {
    package var name: String
    package var key: String
    package var optional: Bool?

    package init(name: String, key: String) {
        self.name = name
        self.key = key
    }
}

/// A reference to an object (`corev1.ObjectReference`: the pod of a PodVolumeBackup or PodVolumeRestore).
package struct ObjectReference: Codable, Sendable, Hashable {
    package var kind: String?
    package var namespace: String?
    package var name: String?
    package var uid: String?
    package var apiVersion: String?
    package var resourceVersion: String?
    package var fieldPath: String?

    package init(kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }
}
