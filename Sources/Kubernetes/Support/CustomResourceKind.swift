/// A CustomResourceDefinition described by its names.
///
/// The definitions preserve unknown fields (no structural schema): the modules that own a kind validate it
/// themselves. The lists of kinds live with their owners (velero.io and CSI snapshot kinds: `VeleroAPI`).
///
/// ```swift
/// let kind = CustomResourceKind(group: "example.com", version: "v1", kind: "Widget", plural: "widgets")
/// let crd = kind.definition(labels: ["app": "widgets"])
/// ```
public struct CustomResourceKind: Sendable, Hashable {
    public var group: String
    public var version: String
    public var kind: String
    public var plural: String
    public var namespaced: Bool
    public var shortNames: [String]
    /// Whether the kind has the `status` subresource.
    public var hasStatus: Bool

    public init(
        group: String,
        version: String,
        kind: String,
        plural: String,
        namespaced: Bool = true,
        shortNames: [String] = [],
        hasStatus: Bool = true
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.hasStatus = hasStatus
    }

    /// The CRD's name: `<plural>.<group>`.
    public var crdName: String { "\(plural).\(group)" }

    /// `<group>/<version>`.
    public var apiVersion: String { "\(group)/\(version)" }

    /// The resource the definition serves.
    public var resource: GroupVersionResource { GroupVersionResource(group: group, version: version, resource: plural) }

    /// The CustomResourceDefinition object (without server-set metadata).
    public func definition(labels: [String: String] = [:], annotations: [String: String] = [:]) -> JSONValue {
        var version: JSONObject = [
            "name": .string(self.version), "served": true, "storage": true,
            "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
        ]
        if hasStatus { version["subresources"] = ["status": [:]] }
        var names: JSONObject = [
            "kind": .string(kind), "listKind": .string(kind + "List"), "plural": .string(plural),
            "singular": .string(kind.lowercased()),
        ]
        if !shortNames.isEmpty { names["shortNames"] = .array(shortNames.map { .string($0) }) }
        var metadata: JSONObject = ["name": .string(crdName)]
        if !labels.isEmpty {
            metadata["labels"] = .object(
                JSONObject(
                    uniqueKeysWithValues: labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }
                )
            )
        }
        if !annotations.isEmpty {
            metadata["annotations"] = .object(
                JSONObject(
                    uniqueKeysWithValues: annotations.sorted { $0.key < $1.key }.map {
                        ($0.key, JSONValue.string($0.value))
                    }
                )
            )
        }
        return [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": .object(metadata),
            "spec": [
                "group": .string(group), "names": .object(names), "scope": namespaced ? "Namespaced" : "Cluster",
                "versions": [.object(version)],
            ],
        ]
    }
}
