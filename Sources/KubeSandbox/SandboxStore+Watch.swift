import NIOCore
import Synchronization

extension SandboxStore {
    /// Starts a watch.
    ///
    /// - Parameters:
    ///   - filter: what the watcher sees.
    ///   - resourceVersion: replay events after this resourceVersion from the history; `nil` means
    ///     "start with ADDED events for every current object" (resourceVersion "" or "0").
    /// - Returns: the event stream; it ends when the consumer stops iterating or the store closes.
    func watch(_ filter: WatchFilter, from resourceVersion: Int64?) -> AsyncStream<WatchItem> {
        let (stream, continuation) = AsyncStream.makeStream(of: WatchItem.self)
        let id: Int? = state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            if let resourceVersion {
                if resourceVersion < state.historyFloor {
                    continuation.yield(.expired(requested: resourceVersion, oldest: state.historyFloor))
                    return nil
                }
                let count = state.history.count
                for offset in 0..<count {
                    let event = state.history[(state.historyStart + offset) % count]
                    guard event.resourceVersion > resourceVersion, let seen = filter.translate(event) else { continue }
                    continuation.yield(.event(seen))
                }
            } else if var collection = state.collections[filter.storageKey] {
                state.collections[filter.storageKey] = nil
                let keys = collection.sortedKeys()
                state.collections[filter.storageKey] = collection
                for key in keys {
                    guard let object = collection.objects[key], filter.selects(key, object) else { continue }
                    continuation.yield(
                        .event(WatchEvent(kind: .added, storageKey: filter.storageKey, key: key, object: object))
                    )
                }
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(filter: filter, continuation: continuation)
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in _ = state.watchers.removeValue(forKey: id) }
        }
        return stream
    }
}
