import NIOCore
import Synchronization

/// Where a watcher's items go: `deliver` is called inside the store's lock, in resourceVersion order, and
/// must not block; `finish` when the store closes.
struct WatchSink: Sendable {
    var deliver: @Sendable (WatchItem) -> Void
    var finish: @Sendable () -> Void
}

extension SandboxStore {
    /// Starts a watch; call ``endWatch(_:)`` with the returned id when done with it.
    ///
    /// - Parameters:
    ///   - filter: what the watcher sees.
    ///   - resourceVersion: replay events after this resourceVersion from the history; `nil` means
    ///     "start with ADDED events for every current object" (resourceVersion "" or "0").
    ///   - sink: receives the items. When the history no longer reaches `resourceVersion` it receives
    ///     `.expired` and is finished; when the store is closed it is finished at once.
    /// - Returns: the watch's id, or nil when the watch ended at once (the sink was finished).
    @discardableResult
    func watch(_ filter: WatchFilter, from resourceVersion: Int64?, into sink: WatchSink) -> Int? {
        let id: Int? = state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            if let resourceVersion {
                if resourceVersion < state.historyFloor {
                    sink.deliver(.expired(requested: resourceVersion, oldest: state.historyFloor))
                    return nil
                }
                let count = state.history.count
                for offset in 0..<count {
                    let event = state.history[(state.historyStart + offset) % count]
                    guard event.resourceVersion > resourceVersion, let seen = filter.translate(event) else { continue }
                    sink.deliver(.event(seen))
                }
            } else if let collection = state.collections[filter.storageKey] {
                let first = filter.namespace.map { collection.position(of: ObjectKey(namespace: $0, name: "")) }
                collection.forEach(from: first ?? collection.start) { entry in
                    if let namespace = filter.namespace, entry.key.namespace != namespace { return false }
                    guard filter.selects(entry.key, entry.object) else { return true }
                    sink.deliver(
                        .event(
                            WatchEvent(
                                kind: .added,
                                storageKey: filter.storageKey,
                                key: entry.key,
                                object: entry.object
                            )
                        )
                    )
                    return true
                }
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(filter: filter, sink: sink)
            return id
        }
        if id == nil { sink.finish() }
        return id
    }

    /// Stops delivering to the watch `id` (no effect when it already ended).
    func endWatch(_ id: Int) {
        _ = state.withLock { state in state.watchers.removeValue(forKey: id) }
    }
}
