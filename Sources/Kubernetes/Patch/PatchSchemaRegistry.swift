/// Strategic-merge schemas of the built-in Kubernetes kinds, keyed by API group and kind.
///
/// A kind without a schema is not a built-in type: kube-apiserver answers a strategic merge patch
/// for it (any custom resource) with 415 UnsupportedMediaType. Extend the registry with
/// ``register(_:group:kind:)`` or ``register(group:kind:path:strategy:)``.
///
/// ```swift
/// let schema = PatchSchemaRegistry.builtIn.schema(group: "apps", kind: "Deployment")
/// let merged = try StrategicMergePatch.apply(patch, to: deployment, schema: schema ?? .objectMeta)
/// ```
public struct PatchSchemaRegistry: Sendable {
    /// An API group and kind ("" is the core group).
    public struct GroupKind: Sendable, Hashable {
        public var group: String
        public var kind: String
        public init(group: String, kind: String) {
            self.group = group
            self.kind = kind
        }
    }

    private var schemas: [GroupKind: PatchSchema]

    /// An empty registry.
    public init() {
        schemas = [:]
    }

    /// The schema for a kind, or nil when the kind is not registered (not a built-in type).
    public func schema(group: String, kind: String) -> PatchSchema? {
        schemas[GroupKind(group: group, kind: kind)]
    }

    /// Every registered kind.
    public var kinds: [GroupKind] { Array(schemas.keys) }

    /// Registers (or replaces) the schema of a kind.
    public mutating func register(_ schema: PatchSchema, group: String, kind: String) {
        schemas[GroupKind(group: group, kind: kind)] = schema
    }

    /// Declares one field of a kind, registering the kind (with ``PatchSchema/objectMeta``) if needed.
    public mutating func register(group: String, kind: String, path: String, strategy: PatchStrategy) {
        var schema = schemas[GroupKind(group: group, kind: kind)] ?? .objectMeta
        schema.set(strategy, at: path)
        schemas[GroupKind(group: group, kind: kind)] = schema
    }
}
