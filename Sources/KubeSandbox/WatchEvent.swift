import NIOCore

/// One change to a stored object, as kept in the watch history and delivered to watchers.
struct WatchEvent: Sendable {
    enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    var kind: Kind
    var storageKey: String
    var key: ObjectKey
    var object: StoredObject
    /// The object before this change (for MODIFIED and DELETED).
    var previous: StoredObject?

    var resourceVersion: Int64 { object.resourceVersion }
}

/// What a watch wants to see: one collection, optionally one namespace, and a predicate.
struct WatchFilter: Sendable {
    var storageKey: String
    var namespace: String?
    var matches: @Sendable (ObjectKey, StoredObject) -> Bool

    /// Whether an object at `key` is selected.
    func selects(_ key: ObjectKey, _ object: StoredObject) -> Bool {
        if let namespace, key.namespace != namespace { return false }
        return matches(key, object)
    }

    /// Translates a stored event to what this watcher sees (label changes can turn MODIFIED into
    /// ADDED or DELETED), or nil if the watcher does not see it.
    func translate(_ event: WatchEvent) -> WatchEvent? {
        guard event.storageKey == storageKey else { return nil }
        let now = event.kind != .deleted && selects(event.key, event.object)
        let before = event.previous.map { selects(event.key, $0) } ?? false
        switch event.kind {
        case .added: return now ? event : nil
        case .deleted: return (before || selects(event.key, event.object)) ? event : nil
        case .modified:
            if now && before { return event }
            if now { return WatchEvent(kind: .added, storageKey: storageKey, key: event.key, object: event.object) }
            if before {
                return WatchEvent(kind: .deleted, storageKey: storageKey, key: event.key, object: event.object)
            }
            return nil
        }
    }
}

/// An item of a watch stream.
enum WatchItem: Sendable {
    case event(WatchEvent)
    /// The stored history no longer reaches back to the requested resourceVersion.
    case expired(requested: Int64, oldest: Int64)
}
