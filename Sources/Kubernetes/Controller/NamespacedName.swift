/// The key of an object in an ``InformerCache`` and a controller's ``WorkQueue``: namespace and name
/// (apimachinery's `types.NamespacedName`; client-go's cache keys are its `namespace/name` string).
public struct NamespacedName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// nil for cluster-scoped objects.
    public var namespace: String?
    public var name: String

    /// A key for `name` in `namespace` (nil or empty: cluster-scoped).
    public init(namespace: String? = nil, name: String) {
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        self.name = name
    }

    /// The key of `object`; nil when it has no name.
    public init?(_ object: KubeObject) {
        guard let name = object.name, !name.isEmpty else { return nil }
        self.init(namespace: object.namespace, name: name)
    }

    /// `namespace/name`, or `name` when cluster-scoped (client-go's `MetaNamespaceKeyFunc`).
    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }

    public static func < (a: NamespacedName, b: NamespacedName) -> Bool {
        (a.namespace ?? "", a.name) < (b.namespace ?? "", b.name)
    }
}
