import Synchronization

/// The in-memory objects of an ``Informer``, keyed by ``NamespacedName`` and indexed by custom index functions
/// (client-go's `cache.Indexer`). Reads never touch the API.
///
/// ```swift
/// let cache = InformerCache(indexers: ["node": { [$0["spec"]?["nodeName"]?.stringValue ?? ""] }])
/// let onNode = cache.objects(index: "node", value: "node-1")
/// ```
public final class InformerCache: Sendable {
    /// Maps an object to the values it is indexed under (empty: not indexed).
    public typealias IndexFunction = @Sendable (KubeObject) -> [String]

    /// Indexes objects by namespace ("" for cluster-scoped ones), client-go's `NamespaceIndex`.
    public static let namespaceIndex: (name: String, function: IndexFunction) = ("namespace", { [$0.namespace ?? ""] })

    private struct State {
        var objects: [NamespacedName: KubeObject] = [:]
        /// index name → index value → keys.
        var indices: [String: [String: Set<NamespacedName>]] = [:]
    }

    private let state = Mutex(State())
    private let indexers: [String: IndexFunction]

    /// An empty cache with the given index functions, by index name.
    public init(indexers: [String: IndexFunction] = [:]) {
        self.indexers = indexers
    }

    // MARK: Reading

    /// The object with `key`, if cached.
    public subscript(key: NamespacedName) -> KubeObject? { state.withLock { $0.objects[key] } }

    /// The object named `name` in `namespace` (nil: cluster-scoped), if cached.
    public func object(namespace: String? = nil, name: String) -> KubeObject? {
        self[NamespacedName(namespace: namespace, name: name)]
    }

    /// Every cached object, in key order.
    public func list() -> [KubeObject] {
        state.withLock { s in s.objects.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// Every cached key.
    public var keys: [NamespacedName] { state.withLock { Array($0.objects.keys) } }

    /// How many objects are cached.
    public var count: Int { state.withLock { $0.objects.count } }

    /// The keys of the objects `index` maps to `value`.
    public func keys(index: String, value: String) -> Set<NamespacedName> {
        state.withLock { $0.indices[index]?[value] ?? [] }
    }

    /// The objects `index` maps to `value`, in key order.
    public func objects(index: String, value: String) -> [KubeObject] {
        state.withLock { s in (s.indices[index]?[value] ?? []).sorted().compactMap { s.objects[$0] } }
    }

    /// The values `index` holds objects under.
    public func indexValues(_ index: String) -> [String] {
        state.withLock { Array(($0.indices[index] ?? [:]).keys) }
    }

    // MARK: Writing

    /// Stores `object` unless the cache holds a newer version of it (resourceVersions compared as numbers
    /// when both are); returns the change, nil when nothing changed. A controller may store the result of its
    /// own write so its next read sees it before the watch event arrives.
    @discardableResult
    public func store(_ object: KubeObject) -> InformerEvent? {
        guard let key = NamespacedName(object) else { return nil }
        return state.withLock { s in
            let old = s.objects[key]
            if let old {
                guard Self.isNotOlder(object.resourceVersion, than: old.resourceVersion), old != object else {
                    return nil
                }
            }
            set(&s, key, object)
            return old.map { .updated(old: $0, new: object) } ?? .added(object)
        }
    }

    /// Removes the object with `key`; returns the deletion, nil when it was not cached.
    @discardableResult
    public func remove(_ key: NamespacedName) -> InformerEvent? {
        state.withLock { s in
            guard let old = s.objects[key] else { return nil }
            set(&s, key, nil)
            return .deleted(old)
        }
    }

    /// Replaces the whole content with `objects` (a fresh list): the changes are additions, updates (old and
    /// new equal when unchanged, as client-go's `Replace` does) and deletions of what the list no longer has.
    public func replace(with objects: [KubeObject]) -> [InformerEvent] {
        state.withLock { s in
            var events: [InformerEvent] = []
            var seen: Set<NamespacedName> = []
            for object in objects {
                guard let key = NamespacedName(object) else { continue }
                seen.insert(key)
                let old = s.objects[key]
                set(&s, key, object)
                events.append(old.map { .updated(old: $0, new: object) } ?? .added(object))
            }
            for (key, old) in s.objects.sorted(by: { $0.key < $1.key }) where !seen.contains(key) {
                set(&s, key, nil)
                events.append(.deleted(old))
            }
            return events
        }
    }

    private func set(_ s: inout State, _ key: NamespacedName, _ object: KubeObject?) {
        if let old = s.objects[key] {
            for (name, function) in indexers {
                for value in function(old) {
                    s.indices[name]?[value]?.remove(key)
                    if s.indices[name]?[value]?.isEmpty == true { s.indices[name]?[value] = nil }
                }
            }
        }
        s.objects[key] = object
        guard let object else { return }
        for (name, function) in indexers {
            for value in function(object) { s.indices[name, default: [:]][value, default: []].insert(key) }
        }
    }

    /// Whether `incoming` is not older than `current`.
    private static func isNotOlder(_ incoming: String?, than current: String?) -> Bool {
        guard let incoming, let current, let a = UInt64(incoming), let b = UInt64(current) else { return true }
        return a >= b
    }
}
