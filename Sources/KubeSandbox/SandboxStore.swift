import Kubernetes
import NIOCore
import Synchronization

/// The sandbox's object store: every collection in memory, one cluster-wide resourceVersion counter,
/// a bounded history of watch events, the live watchers, and (optionally) a write-ahead log.
///
/// All state changes happen inside one lock, so resourceVersions, watch order and log order agree.
/// Encoding happens outside the lock (see ``PreparedObject``); durability (fsync) is awaited outside it.
final class SandboxStore: Sendable {
    struct Watcher {
        var filter: WatchFilter
        var sink: WatchSink
    }

    struct State {
        var resourceVersion: Int64 = 0
        /// storage key -> its objects in key order
        var collections: [String: OrderedObjects] = [:]
        var history: [WatchEvent] = []
        var historyStart = 0  // index of the oldest event in the ring
        /// Events with a resourceVersion greater than this are all in `history`.
        var historyFloor: Int64 = 0
        var watchers: [Int: Watcher] = [:]
        var nextWatcherID = 0
        /// owner uid -> dependents (storage key, object key)
        var dependents: [String: Set<DependentRef>] = [:]
        /// uid -> where the object lives
        var byUID: [String: DependentRef] = [:]
        /// node name -> pods bound to it (`spec.nodeName`), kept as pods are written, removed and replayed
        var podsPerNode: [String: Int] = [:]
        var closed = false
    }

    struct DependentRef: Hashable, Sendable {
        var storageKey: String
        var key: ObjectKey
    }

    /// What a write does.
    enum Operation: Sendable {
        /// Create; fails with AlreadyExists if present. `namespace` must exist and not be terminating.
        case create(PreparedObject)
        /// Replace; `expected` is the resourceVersion the caller based its change on (nil = unconditional).
        case update(PreparedObject, expected: Int64?)
        /// Remove; `expected` as for update.
        case delete(expected: Int64?)
    }

    /// Why a write was refused.
    enum Refusal: Error, Sendable {
        case alreadyExists
        case notFound
        case conflict
        case namespaceMissing(String)
        case namespaceTerminating(String)
        case closed
    }

    let state: Mutex<State>
    let historyCapacity: Int
    let log: WriteAheadLog?
    private let changes: AsyncStream<WatchEvent>.Continuation
    /// Every committed event, for the in-process controllers.
    let changeStream: AsyncStream<WatchEvent>

    init(historyCapacity: Int, log: WriteAheadLog?) {
        self.historyCapacity = historyCapacity
        self.log = log
        state = Mutex(State())
        (changeStream, changes) = AsyncStream.makeStream(of: WatchEvent.self)
    }

    // MARK: - Reads

    /// The current cluster-wide resourceVersion.
    var currentResourceVersion: Int64 { state.withLock { $0.resourceVersion } }

    /// The oldest resourceVersion a watch can start from.
    var historyFloor: Int64 { state.withLock { $0.historyFloor } }

    func get(_ storageKey: String, _ key: ObjectKey) -> StoredObject? {
        state.withLock { $0.collections[storageKey]?[key] }
    }

    /// Pods bound to each node (`spec.nodeName`), for the scheduler.
    var podsPerNode: [String: Int] { state.withLock { $0.podsPerNode } }

    /// Number of objects in a collection (all namespaces).
    func count(_ storageKey: String) -> Int {
        state.withLock { $0.collections[storageKey]?.count ?? 0 }
    }

    /// A page of a collection in key order.
    ///
    /// - Parameters:
    ///   - namespace: only this namespace (nil = all).
    ///   - after: start strictly after this key (continue token).
    ///   - limit: at most this many items (nil = all).
    ///   - countRemaining: count the items after the page (from the collection's order, so only with a
    ///     predicate that selects everything); otherwise `remaining` is 1 when more remain.
    ///   - matches: selector predicate.
    /// - Returns: the items, the list resourceVersion, the last key when more remain, and the number
    ///   of remaining items.
    func list(
        _ storageKey: String,
        namespace: String?,
        after: ObjectKey?,
        limit: Int?,
        countRemaining: Bool,
        matches: (ObjectKey, StoredObject) -> Bool
    ) -> (items: [(ObjectKey, StoredObject)], resourceVersion: Int64, next: ObjectKey?, remaining: Int) {
        state.withLock { state in
            let rv = state.resourceVersion
            guard let collection = state.collections[storageKey] else { return ([], rv, nil, 0) }
            var position = collection.start
            if let namespace {
                position = collection.position(of: ObjectKey(namespace: namespace, name: ""))
            }
            if let after, namespace == nil || !(after < ObjectKey(namespace: namespace ?? "", name: "")) {
                position = collection.position(of: after, strictlyAfter: true)
            }
            var items: [(ObjectKey, StoredObject)] = []
            if let limit { items.reserveCapacity(min(limit, collection.count)) }
            var more = false
            collection.forEach(from: position) { entry in
                if let namespace, entry.key.namespace != namespace { return false }
                guard matches(entry.key, entry.object) else { return true }
                if let limit, items.count >= limit {
                    more = true
                    return false
                }
                items.append((entry.key, entry.object))
                return true
            }
            guard more, let next = items.last?.0 else { return (items, rv, nil, 0) }
            guard countRemaining else { return (items, rv, next, 1) }
            // Counted from the order, as etcd counts the keys left in the range: not item by item, which made a
            // paginated LIST of the whole collection quadratic.
            let end = namespace.map { collection.position(of: ObjectKey(namespace: $0 + "\u{0}", name: "")) }
            let remaining =
                collection.rank(of: end ?? collection.end)
                - collection.rank(of: collection.position(of: next, strictlyAfter: true))
            return (items, rv, next, remaining)
        }
    }

    /// The dependents of an owner (by uid).
    func dependents(of uid: String) -> [DependentRef] {
        state.withLock { Array($0.dependents[uid] ?? []) }
    }

    /// Where the object with this uid lives.
    func locate(uid: String) -> DependentRef? {
        state.withLock { $0.byUID[uid] }
    }

    /// All objects in a namespace across namespaced collections.
    func objects(inNamespace namespace: String) -> [(storageKey: String, key: ObjectKey, object: StoredObject)] {
        guard !namespace.isEmpty else { return [] }
        return state.withLock { state in
            var result: [(String, ObjectKey, StoredObject)] = []
            let first = ObjectKey(namespace: namespace, name: "")
            for (storageKey, collection) in state.collections {
                collection.forEach(from: collection.position(of: first)) { entry in
                    guard entry.key.namespace == namespace else { return false }
                    result.append((storageKey, entry.key, entry.object))
                    return true
                }
            }
            return result
        }
    }

    // MARK: - Writes

    /// Applies one write atomically. Returns the stored object (for deletes: the object as removed,
    /// with a new resourceVersion) and the log sequence number to await with ``waitDurable(_:)``.
    func commit(
        _ storageKey: String,
        _ key: ObjectKey,
        _ operation: Operation,
        namespaced: Bool
    ) -> Result<(StoredObject, UInt64?), Refusal> {
        state.withLock { state -> Result<(StoredObject, UInt64?), Refusal> in
            guard !state.closed else { return .failure(.closed) }
            let existing = state.collections[storageKey]?[key]
            let kind: WatchEvent.Kind
            let stored: StoredObject
            switch operation {
            case .create(let prepared):
                if existing != nil { return .failure(.alreadyExists) }
                if namespaced {
                    let namespaceObject = state.collections["namespaces"]?[
                        ObjectKey(namespace: "", name: key.namespace)
                    ]
                    guard let namespaceObject else { return .failure(.namespaceMissing(key.namespace)) }
                    if namespaceObject.deleting { return .failure(.namespaceTerminating(key.namespace)) }
                }
                state.resourceVersion += 1
                stored = prepared.stored(resourceVersion: state.resourceVersion)
                kind = .added
            case .update(let prepared, let expected):
                guard let existing else { return .failure(.notFound) }
                if let expected, expected != existing.resourceVersion { return .failure(.conflict) }
                state.resourceVersion += 1
                stored = prepared.stored(resourceVersion: state.resourceVersion)
                kind = .modified
            case .delete(let expected):
                guard let existing else { return .failure(.notFound) }
                if let expected, expected != existing.resourceVersion { return .failure(.conflict) }
                state.resourceVersion += 1
                var removed = existing
                removed.resourceVersion = state.resourceVersion
                removed.body = Self.replacingResourceVersion(in: existing.body, with: state.resourceVersion)
                stored = removed
                kind = .deleted
            }
            Self.apply(&state, storageKey, key, kind == .deleted ? nil : stored, previous: existing)
            let event = WatchEvent(kind: kind, storageKey: storageKey, key: key, object: stored, previous: existing)
            record(&state, event)
            let sequence = log?.append(event)
            return .success((stored, sequence))
        }
    }

    /// Waits until the log holds everything up to `sequence` on disk (no-op without a data directory).
    func waitDurable(_ sequence: UInt64?) async throws {
        guard let sequence, let log else { return }
        try await log.sync(upTo: sequence)
        // On a thread of its own: the write that crossed the threshold is answered now, not after the rewrite.
        if log.needsCompaction { log.compactInBackground(self) }
    }

    /// Puts an object back without an event or log record (log replay).
    func restore(_ storageKey: String, _ key: ObjectKey, _ object: StoredObject?) {
        state.withLock { state in
            let previous = state.collections[storageKey]?[key]
            Self.apply(&state, storageKey, key, object, previous: previous)
            if let object { state.resourceVersion = max(state.resourceVersion, object.resourceVersion) }
        }
    }

    /// Sets the counter after a replay and starts the watch history there.
    func finishReplay(resourceVersion: Int64) {
        state.withLock { state in
            state.resourceVersion = max(state.resourceVersion, resourceVersion)
            state.historyFloor = state.resourceVersion
        }
    }

    /// Every live object (the controllers' resync after a restart).
    func snapshot() -> [(String, ObjectKey, StoredObject)] {
        state.withLock { state in
            var all: [(String, ObjectKey, StoredObject)] = []
            for (storageKey, collection) in state.collections {
                collection.forEach(from: collection.start) { entry in
                    all.append((storageKey, entry.key, entry.object))
                    return true
                }
            }
            return all
        }
    }

    /// Calls `body` with every live object, collection by collection in key order. The objects are copied out
    /// `batch` at a time inside the lock and handed to `body` outside it, so a write waits for one batch at most
    /// (log compaction of a large store). An object written during the walk may be seen before or after that
    /// write, or not at all if it was created behind the walk: the caller covers those with the writes' records.
    ///
    /// - Returns: the resourceVersion when the walk ended.
    func walk(batch: Int = 2048, _ body: (String, ObjectKey, StoredObject) throws -> Void) rethrows -> Int64 {
        let storageKeys = state.withLock { $0.collections.keys.sorted() }
        for storageKey in storageKeys {
            var after: ObjectKey?
            while true {
                let items = state.withLock { state -> [(ObjectKey, StoredObject)] in
                    guard let collection = state.collections[storageKey] else { return [] }
                    var items: [(ObjectKey, StoredObject)] = []
                    items.reserveCapacity(batch)
                    let start = after.map { collection.position(of: $0, strictlyAfter: true) } ?? collection.start
                    collection.forEach(from: start) { entry in
                        items.append((entry.key, entry.object))
                        return items.count < batch
                    }
                    return items
                }
                for (key, object) in items { try body(storageKey, key, object) }
                guard items.count == batch, let last = items.last else { break }
                after = last.0
            }
        }
        return currentResourceVersion
    }

    /// Ends every watch and refuses further writes.
    func close() {
        let watchers = state.withLock { state in
            state.closed = true
            let all = state.watchers.values.map(\.sink)
            state.watchers = [:]
            return all
        }
        for sink in watchers { sink.finish() }
        changes.finish()
    }

    /// Hands the in-process controllers a `MODIFIED` event for an object as it stands now, without a write
    /// (a timed re-check, such as a pod turning available after `minReadySeconds`); watchers see nothing.
    func requeue(_ storageKey: String, _ key: ObjectKey) {
        let event = state.withLock { state -> WatchEvent? in
            guard !state.closed, let object = state.collections[storageKey]?[key] else { return nil }
            return WatchEvent(kind: .modified, storageKey: storageKey, key: key, object: object)
        }
        if let event { changes.yield(event) }
    }

    // MARK: - Internals

    private static func apply(
        _ state: inout State,
        _ storageKey: String,
        _ key: ObjectKey,
        _ object: StoredObject?,
        previous: StoredObject?
    ) {
        if object != nil || previous != nil {
            state.collections[storageKey, default: OrderedObjects()].set(key, object)
        }
        if storageKey == "pods" {
            let before = previous?.fields["spec.nodeName"]
            let after = object?.fields["spec.nodeName"]
            if before != after {
                if let before {
                    state.podsPerNode[before, default: 0] -= 1
                    if state.podsPerNode[before] == 0 { state.podsPerNode[before] = nil }
                }
                if let after { state.podsPerNode[after, default: 0] += 1 }
            }
        }
        let ref = DependentRef(storageKey: storageKey, key: key)
        if let previous, previous.uid != object?.uid { state.byUID[previous.uid] = nil }
        if let object, !object.uid.isEmpty { state.byUID[object.uid] = ref }
        if let previous, previous.ownerUIDs != object?.ownerUIDs {
            for uid in previous.ownerUIDs {
                state.dependents[uid]?.remove(ref)
                if state.dependents[uid]?.isEmpty == true { state.dependents[uid] = nil }
            }
        }
        if let object, object.ownerUIDs != previous?.ownerUIDs {
            for uid in object.ownerUIDs { state.dependents[uid, default: []].insert(ref) }
        }
    }

    private func record(_ state: inout State, _ event: WatchEvent) {
        if state.history.count < historyCapacity {
            state.history.append(event)
        } else {
            state.historyFloor = state.history[state.historyStart].resourceVersion
            state.history[state.historyStart] = event
            state.historyStart = (state.historyStart + 1) % historyCapacity
        }
        // Delivering inside the lock keeps every watcher's stream in resourceVersion order; a sink never
        // blocks (unbounded).
        for watcher in state.watchers.values {
            if let seen = watcher.filter.translate(event) { watcher.sink.deliver(.event(seen)) }
        }
        changes.yield(event)
    }

    /// Rewrites `"resourceVersion":"N"` in a stored body (used for the DELETED event's object).
    static func replacingResourceVersion(in body: ByteBuffer, with value: Int64) -> ByteBuffer {
        guard var object = try? JSONValue(parsing: body) else { return body }
        object[path: ["metadata", "resourceVersion"]] = .string(String(value))
        var buffer = ByteBuffer()
        object.write(into: &buffer)
        return buffer
    }
}

private func lowerBound(_ keys: [ObjectKey], _ target: ObjectKey) -> Int {
    var low = 0
    var high = keys.count
    while low < high {
        let mid = (low + high) / 2
        if keys[mid] < target { low = mid + 1 } else { high = mid }
    }
    return low
}

private func upperBound(_ keys: [ObjectKey], _ target: ObjectKey) -> Int {
    var low = 0
    var high = keys.count
    while low < high {
        let mid = (low + high) / 2
        if target < keys[mid] { high = mid } else { low = mid + 1 }
    }
    return low
}
