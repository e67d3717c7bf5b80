/// How a strategic merge patch treats the fields of one kind: which lists merge (and by which key),
/// which objects are replaced whole, which carry `retainKeys` — apimachinery's `patchStrategy` and
/// `patchMergeKey` struct tags, written as data.
///
/// Paths are dotted field names from the object root; entering a list element adds no component,
/// so the container ports of a pod are at `spec.containers.ports`. Fields without an entry are merged
/// when they are objects and replaced when they are lists (the default for lists without a merge key).
///
/// ```swift
/// var schema = PatchSchema.objectMeta
/// schema.set(.merge(key: "name"), at: "spec.widgets")
/// ```
public struct PatchSchema: Sendable, Hashable {
    /// Strategies keyed by dotted path.
    public private(set) var fields: [String: PatchStrategy]

    /// Creates a schema from path → strategy pairs.
    public init(fields: [String: PatchStrategy] = [:]) {
        self.fields = fields
    }

    /// The strategy of the field at `path` (object keys from the root), if one is declared.
    public func strategy(at path: [String]) -> PatchStrategy? {
        fields[path.joined(separator: ".")]
    }

    /// Declares the strategy of the field at a dotted path.
    public mutating func set(_ strategy: PatchStrategy, at path: String) {
        fields[path] = strategy
    }

    /// Adds every field of `other` below `prefix` (a dotted path, or "" for the root).
    public mutating func mount(_ other: PatchSchema, at prefix: String) {
        for (path, strategy) in other.fields {
            fields[prefix.isEmpty ? path : prefix + "." + path] = strategy
        }
    }

    /// The schema with `other` mounted at `prefix`.
    public func mounting(_ other: PatchSchema, at prefix: String) -> PatchSchema {
        var copy = self
        copy.mount(other, at: prefix)
        return copy
    }
}

/// One field's strategic-merge behaviour (a `patchStrategy` / `patchMergeKey` tag pair).
public struct PatchStrategy: Sendable, Hashable {
    /// Merge this list instead of replacing it.
    public var mergeList: Bool
    /// For merged lists of objects: the member that identifies an element (e.g. "name"); nil for primitives.
    public var mergeKey: String?
    /// Replace this object whole instead of merging it (`patchStrategy:"replace"`).
    public var replaceObject: Bool
    /// The field accepts a `$retainKeys` directive (`patchStrategy:"retainKeys"`).
    public var retainKeys: Bool

    /// Creates a strategy.
    public init(mergeList: Bool = false, mergeKey: String? = nil, replaceObject: Bool = false, retainKeys: Bool = false)
    {
        self.mergeList = mergeList
        self.mergeKey = mergeKey
        self.replaceObject = replaceObject
        self.retainKeys = retainKeys
    }

    /// A list of objects merged by `key` (`patchStrategy:"merge" patchMergeKey:"key"`).
    public static func merge(key: String) -> PatchStrategy { PatchStrategy(mergeList: true, mergeKey: key) }
    /// A list of objects merged by `key` whose elements accept `$retainKeys` (`"merge,retainKeys"`).
    public static func mergeRetainingKeys(key: String) -> PatchStrategy {
        PatchStrategy(mergeList: true, mergeKey: key, retainKeys: true)
    }
    /// A list of scalars merged as a set (`patchStrategy:"merge"` without a key), e.g. finalizers.
    public static let mergePrimitives = PatchStrategy(mergeList: true)
    /// An object that accepts `$retainKeys` (`patchStrategy:"retainKeys"`), e.g. a Deployment's strategy.
    public static let retainKeys = PatchStrategy(retainKeys: true)
    /// An object replaced whole (`patchStrategy:"replace"`).
    public static let replace = PatchStrategy(replaceObject: true)
}
