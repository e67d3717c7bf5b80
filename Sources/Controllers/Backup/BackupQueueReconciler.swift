import Foundation
package import Kubernetes
package import Logging
import Synchronization
import VeleroAPI

/// The backup queue controller's reconcile (Velero 1.18's `backupQueueReconciler`, decided by
/// ``BackupQueueDecision``): a `New` Backup is queued (`Queued`, `status.queuePosition`); then a dispatch pass goes
/// through the queue in order and makes `ReadyToStart` — which the Backup controller runs — every Backup the queue
/// lets start, and renumbers the others.
///
/// Velero reconciles each queued Backup on its own, listing every Backup each time; with hundreds queued that is
/// quadratic in requests. Here one pass decides for the whole queue from the informer's cache, corrected by what
/// this controller wrote and the cache has not seen yet. A pass runs when a Backup joins the queue, when a running
/// one ends (``dispatchOnChanges(of:into:)``), and every minute while Backups wait. The renumbering — a write per
/// queued Backup — rewrites at most ``renumberBudget`` positions per ``renumberInterval``, from the head of the
/// queue: a burst of short backups neither rewrites the whole queue after each one nor takes the server's client
/// away from the backups; the order never depends on the positions being up to date.
///
/// Every transition is written only if the live Backup is still in the phase it was decided for, so a Backup that a
/// direct-mode `lifeboat backup create` runs itself, or that another replica moved, is never taken back.
package struct BackupQueueReconciler: Reconciler {
    let client: KubeClient
    let namespace: String
    let concurrentBackups: Int
    let cache: InformerCache
    let logger: Logger
    private let state = QueueState()

    /// How often Backups left queued are looked at again (Velero's `defaultQueuedBackupRecheckFrequency`).
    package static let recheck: Duration = .seconds(60)
    /// The least time between two renumbering passes.
    package static let renumberInterval: Duration = .seconds(1)
    /// The most queued Backups one renumbering pass rewrites (each is a read and a write through the server's
    /// client, whose `--client-qps` the backups need).
    package static let renumberBudget = 10
    /// The key of the dispatch pass (no Backup can have this name).
    package static let dispatchName = ":dispatch"

    /// - Parameter cache: the cache of the informer of the install namespace's Backups.
    package init(client: KubeClient, namespace: String, concurrentBackups: Int, cache: InformerCache, logger: Logger) {
        self.client = client
        self.namespace = namespace
        self.concurrentBackups = max(1, concurrentBackups)
        self.cache = cache
        self.logger = logger
    }

    /// What the pass knows beyond the cache: the writes the cache has not caught up with, the cluster's namespaces
    /// (listed at most once a second), and when the queue was last renumbered.
    private final class QueueState: Sendable {
        struct Written {
            var phase: String
            var position: Int
            /// The resourceVersion the object had before the write: while the cache still holds it, the write
            /// stands in for the cached status.
            var before: String
        }

        let written = Mutex<[String: Written]>([:])
        let namespaces = Mutex<(names: [String], at: ContinuousClock.Instant?)>(([], nil))
        let lastRenumber = Mutex<ContinuousClock.Instant?>(nil)
    }

    /// Only new Backups are reconciled one by one; queued ones go through the dispatch pass.
    package static func predicate(_ event: InformerEvent) -> Bool {
        if case .deleted = event { return false }
        let phase = event.object["status"]?["phase"]?.stringValue ?? ""
        return phase.isEmpty || phase == BackupPhase.new
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        guard key.namespace == namespace else { return .done }
        if key.name == Self.dispatchName { return try await dispatch() }
        let entries = self.entries()
        guard let entry = entries.first(where: { $0.name == key.name }),
            entry.phase.isEmpty || entry.phase == BackupPhase.new
        else { return .done }
        let position = BackupQueueDecision.enqueuePosition(entries)
        let written = try await transition(
            key.name,
            from: ["", BackupPhase.new],
            to: BackupPhase.queued,
            position: position
        )
        guard written else { return .done }
        logger.info("Queueing backup \(key.name), queue position \(position)", metadata: ["backup": "\(key)"])
        return try await dispatch()
    }

    /// Makes `ReadyToStart` every queued Backup that may start, in queue order, and renumbers the rest.
    private func dispatch() async throws -> ReconcileResult {
        var entries = self.entries()
        let namespaces = try await clusterNamespaces()
        let queued = entries.filter { $0.phase == BackupPhase.queued }.sorted { $0.queuePosition < $1.queuePosition }
        for candidate in queued {
            let verdict = BackupQueueDecision.decide(
                candidate.name,
                backups: entries,
                clusterNamespaces: namespaces,
                concurrentBackups: concurrentBackups
            )
            guard case .start = verdict else {
                if case .leaveQueued(let reason) = verdict {
                    logger.debug("\(reason)", metadata: ["backup": "\(namespace)/\(candidate.name)"])
                }
                continue
            }
            guard
                try await transition(
                    candidate.name,
                    from: [BackupPhase.queued],
                    to: BackupPhase.readyToStart,
                    position: 0
                )
            else { continue }
            logger.info(
                "Dequeueing backup \(candidate.name), moving to ReadyToStart",
                metadata: ["backup": "\(namespace)/\(candidate.name)"]
            )
            if let index = entries.firstIndex(where: { $0.name == candidate.name }) {
                entries[index].phase = BackupPhase.readyToStart
                entries[index].queuePosition = 0
            }
        }
        let waiting = entries.filter { $0.phase == BackupPhase.queued }.sorted { $0.queuePosition < $1.queuePosition }
        guard !waiting.isEmpty else { return .done }
        let now = ContinuousClock.now
        let last = state.lastRenumber.withLock { $0 }
        if let last, now - last < Self.renumberInterval {
            return ReconcileResult(requeueAfter: Self.renumberInterval - (now - last))
        }
        state.lastRenumber.withLock { $0 = now }
        // From the head of the queue, where a position matters most; a budget per pass, so that the server's
        // client (its QPS) stays free for the backups themselves.
        let misplaced = waiting.enumerated().filter { $0.element.queuePosition != $0.offset + 1 }
        let changed = misplaced.prefix(Self.renumberBudget)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (count, (offset, entry)) in changed.enumerated() {
                if count >= 8 { try await group.next() }
                group.addTask {
                    _ = try await transition(
                        entry.name,
                        from: [BackupPhase.queued],
                        to: BackupPhase.queued,
                        position: offset + 1
                    )
                }
            }
            try await group.waitForAll()
        }
        return ReconcileResult(
            requeueAfter: misplaced.count > changed.count ? Self.renumberInterval : Self.recheck
        )
    }

    /// The namespace's Backups as the queue sees them: the cache, with this controller's writes it has not seen.
    private func entries() -> [BackupQueueDecision.Entry] {
        let objects = cache.list().filter { $0.namespace == namespace }
        return state.written.withLock { written in
            objects.compactMap { object -> BackupQueueDecision.Entry? in
                guard let name = object.name else { return nil }
                var entry = BackupQueueDecision.Entry(
                    name: name,
                    phase: object["status"]?["phase"]?.stringValue ?? "",
                    queuePosition: Int(object["status"]?["queuePosition"]?.intValue ?? 0),
                    includedNamespaces: object["spec"]?["includedNamespaces"]?.arrayValue?.compactMap(\.stringValue)
                        ?? [],
                    excludedNamespaces: object["spec"]?["excludedNamespaces"]?.arrayValue?.compactMap(\.stringValue)
                        ?? []
                )
                if let pending = written[name] {
                    if pending.before == object.resourceVersion {
                        entry.phase = pending.phase
                        entry.queuePosition = pending.position
                    } else {
                        written[name] = nil
                    }
                }
                return entry
            }
        }
    }

    /// The cluster's namespaces, listed at most once a second.
    private func clusterNamespaces() async throws -> [String] {
        let cached = state.namespaces.withLock { $0 }
        if let at = cached.at, ContinuousClock.now - at < .seconds(1) { return cached.names }
        let names = try await client.list(.namespaces).items.compactMap(\.name)
        state.namespaces.withLock { $0 = (names, ContinuousClock.now) }
        return names
    }

    /// Writes `phase` and `position` on Backup `name` if its live phase is still one of `phases` and either changes.
    /// - Returns: whether it was written.
    private func transition(
        _ name: String,
        from phases: Set<String>,
        to phase: String,
        position: Int
    ) async throws
        -> Bool
    {
        var before: String?
        let updated = try await client.changeStatus(Backup.resource, namespace: namespace, name: name) { object in
            let current = object["status"]?["phase"]?.stringValue ?? ""
            guard phases.contains(current) else { return false }
            guard current != phase || (object["status"]?["queuePosition"]?.intValue ?? 0) != Int64(position) else {
                return false
            }
            var status = object.value["status"]?.objectValue ?? [:]
            status["phase"] = .string(phase)
            status["queuePosition"] = .int(Int64(position))
            object.value["status"] = .object(status)
            before = object.resourceVersion
            return true
        }
        guard updated != nil, let before else { return false }
        state.written.withLock { $0[name] = .init(phase: phase, position: position, before: before) }
        return true
    }

    /// Queues a dispatch pass whenever a Backup stops running (Velero's `findQueuedBackupsToRequeue`), is deleted
    /// while running, or is found queued when the server starts.
    package static func dispatchOnChanges<C: Clock>(of informer: Informer<C>, into queue: WorkQueue<NamespacedName, C>)
    where C.Duration == Duration {
        let running: Set<String> = [BackupPhase.inProgress, BackupPhase.readyToStart]
        informer.addHandler { event in
            let phase = event.object["status"]?["phase"]?.stringValue ?? ""
            let stopped: Bool
            switch event {
            case .updated(let old, _):
                stopped = running.contains(old["status"]?["phase"]?.stringValue ?? "") && !running.contains(phase)
            case .deleted:
                stopped = running.contains(phase)
            case .added:
                // A Backup left queued by an earlier server (the informer's first list): the queue moves on.
                stopped = phase == BackupPhase.queued
            }
            guard stopped, let namespace = event.object.namespace else { return }
            queue.add(NamespacedName(namespace: namespace, name: dispatchName))
        }
    }
}
