package import Logging
import ObjectStorage

extension Repository {
    /// Runs `body` while holding a repository lock (restic's lock protocol).
    ///
    /// Backup and restore take a shared lock; check, prune and forget an exclusive one. Stale locks (older
    /// than 30 minutes, or of a dead process on this host) are ignored.
    /// - Throws: `RepositoryError.locked` naming the holder when a conflicting lock exists.
    package func withLock<T: Sendable>(
        exclusive: Bool,
        logger: Logger,
        _ body: () async throws -> T
    ) async throws -> T {
        try await checkLocks(exclusive: exclusive, ignoring: nil)
        let lockID = try await saveUnpacked(.locks, LockFile.current(exclusive: exclusive).encoded())
        do {
            // restic waits 200 ms before re-checking so that a competing lock shows up in listings that are
            // only eventually consistent. A local folder (and memory) lists what was written before the
            // listing started, so there the re-check alone is enough: of two racing lockers, the one that
            // lists second always sees the other's lock.
            if !hasConsistentListing { try await Task.sleep(for: .milliseconds(200)) }
            try await checkLocks(exclusive: exclusive, ignoring: lockID)
        } catch {
            try? await store.delete(objectKey(.locks, lockID))
            throw error
        }
        logger.debug("acquired lock", metadata: ["lock.id": "\(lockID.short)", "lock.exclusive": "\(exclusive)"])
        // restic refreshes its lock every 5 minutes (a new lock file, then the old one is deleted) so that
        // others never see it as stale (30 minutes) while the operation runs.
        let current = Locked(lockID)
        do {
            let result = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    while true {
                        try await Task.sleep(for: .seconds(300))
                        let fresh = try await self.saveUnpacked(
                            .locks,
                            LockFile.current(exclusive: exclusive).encoded()
                        )
                        let old = current.withLock { id in
                            defer { id = fresh }
                            return id
                        }
                        try? await self.store.delete(self.objectKey(.locks, old))
                    }
                }
                let value = try await body()
                group.cancelAll()
                return value
            }
            try? await store.delete(objectKey(.locks, current.value))
            return result
        } catch {
            try? await store.delete(objectKey(.locks, current.value))
            throw error
        }
    }

    /// Whether listings of the store always include every object written before (no settle wait needed).
    var hasConsistentListing: Bool {
        store is FilesystemObjectStore || store is MemoryObjectStore
    }

    private func checkLocks(exclusive: Bool, ignoring own: BlobID?) async throws {
        for (id, _) in try await list(.locks) where id != own {
            guard let bytes = try? await loadUnpacked(.locks, id),
                let lock = try? LockFile(decoding: bytes, name: id.hex)
            else {
                continue
            }
            if lock.isStale() { continue }
            if exclusive || lock.exclusive {
                throw RepositoryError(
                    code: .locked,
                    message:
                        "repository is already locked \(lock.exclusive ? "exclusively " : "")by PID \(lock.pid) on \(lock.hostname) by \(lock.username) (lock \(id.short), created \(lock.time)); use `unlock` if it is stale"
                )
            }
        }
    }

    /// Removes stale locks (or all locks with `all`); returns how many were removed.
    package func unlock(all: Bool = false) async throws -> Int {
        var removed = 0
        for (id, _) in try await list(.locks) {
            let lock = try? LockFile(decoding: try await loadUnpacked(.locks, id), name: id.hex)
            if all || lock == nil || lock?.isStale() == true {
                try await store.delete(objectKey(.locks, id))
                removed += 1
            }
        }
        return removed
    }
}
