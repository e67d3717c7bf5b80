import Foundation
package import Kubernetes
package import Logging
import VeleroAPI

/// The backup queue controller's reconcile (Velero 1.18's `backupQueueReconciler`, decided by
/// ``BackupQueueDecision``): a `New` Backup is queued (`Queued`, `status.queuePosition`); a queued one is made
/// `ReadyToStart` — which the Backup controller runs — when the queue lets it start, and the others are renumbered.
/// A Backup left queued is looked at again when a running one ends (``requeueQueued(on:)``) and every minute.
///
/// Every transition is written only if the live Backup is still in the phase it was decided for, so a Backup that a
/// direct-mode `lifeboat backup create` runs itself, or that another replica moved, is never taken back.
package struct BackupQueueReconciler: Reconciler {
    let client: KubeClient
    let namespace: String
    let concurrentBackups: Int
    let logger: Logger

    /// How often a Backup left queued is looked at again (Velero's `defaultQueuedBackupRecheckFrequency`).
    package static let recheck: Duration = .seconds(60)

    package init(client: KubeClient, namespace: String, concurrentBackups: Int, logger: Logger) {
        self.client = client
        self.namespace = namespace
        self.concurrentBackups = max(1, concurrentBackups)
        self.logger = logger
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        guard key.namespace == namespace,
            let object = try await client.getIfPresent(Backup.resource, namespace: namespace, name: key.name)
        else { return .done }
        let phase = object["status"]?["phase"]?.stringValue ?? ""
        switch phase {
        case "", BackupPhase.new:
            let position = BackupQueueDecision.enqueuePosition(try await entries())
            let written = try await transition(key.name, from: [phase]) { status in
                status["phase"] = .string(BackupPhase.queued)
                status["queuePosition"] = .int(Int64(position))
            }
            if written {
                logger.info("Queueing backup \(key.name), queue position \(position)", metadata: ["backup": "\(key)"])
                // Looked at again as queued: it may start at once.
                return ReconcileResult(requeueAfter: .milliseconds(1))
            }
            return .done
        case BackupPhase.queued:
            let namespaces = try await client.list(.namespaces).items.compactMap(\.name)
            let verdict = BackupQueueDecision.decide(
                key.name,
                backups: try await entries(),
                clusterNamespaces: namespaces,
                concurrentBackups: concurrentBackups
            )
            switch verdict {
            case .leaveQueued(let reason):
                logger.debug("\(reason)", metadata: ["backup": "\(key)"])
                return ReconcileResult(requeueAfter: Self.recheck)
            case .start(let renumbered):
                let written = try await transition(key.name, from: [BackupPhase.queued]) { status in
                    status["phase"] = .string(BackupPhase.readyToStart)
                    status["queuePosition"] = 0
                }
                guard written else { return .done }
                logger.info("Dequeueing backup \(key.name), moving to ReadyToStart", metadata: ["backup": "\(key)"])
                try await renumber(renumbered)
                return .done
            }
        default:
            return .done
        }
    }

    /// Gives the queued Backups their new positions, 16 writes at a time (each Backup's own read-modify-write, so a
    /// Backup that left the queue meanwhile keeps its status); a Backup already at its position is not written.
    private func renumber(_ positions: [String: Int]) async throws {
        let ordered = positions.sorted { $0.value < $1.value }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, (name, position)) in ordered.enumerated() {
                if index >= 16 { try await group.next() }
                group.addTask {
                    _ = try await transition(name, from: [BackupPhase.queued]) { status in
                        status["queuePosition"] = .int(Int64(position))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The namespace's Backups as the queue sees them.
    private func entries() async throws -> [BackupQueueDecision.Entry] {
        try await client.list(Backup.resource, namespace: namespace).items.compactMap { object in
            guard let backup = try? object.value.decode(as: Backup.self) else { return nil }
            return BackupQueueDecision.Entry(backup)
        }
    }

    /// Changes the status of Backup `name` with `change` if its phase is still one of `phases` (and `change` changes
    /// anything).
    /// - Returns: whether it was written.
    private func transition(
        _ name: String,
        from phases: Set<String>,
        _ change: (inout JSONObject) -> Void
    ) async throws
        -> Bool
    {
        var written = false
        _ = try await client.changeStatus(Backup.resource, namespace: namespace, name: name) { object in
            guard phases.contains(object["status"]?["phase"]?.stringValue ?? "") else { return false }
            var status = object.value["status"]?.objectValue ?? [:]
            let before = status
            change(&status)
            guard status != before else { return false }
            object.value["status"] = .object(status)
            written = true
            return true
        }
        return written
    }

    /// Queues the Backups waiting in `informer`'s cache for another look whenever a Backup stops running or
    /// joins the queue (Velero's `findQueuedBackupsToRequeue`), in queue order.
    package static func requeueQueued<C: Clock>(on informer: Informer<C>, into queue: WorkQueue<NamespacedName, C>)
    where C.Duration == Duration {
        informer.addHandler { event in
            let phase = event.object["status"]?["phase"]?.stringValue ?? ""
            let previous: String? =
                if case .updated(let old, _) = event { old["status"]?["phase"]?.stringValue ?? "" } else { nil }
            let stoppedRunning =
                (previous == BackupPhase.inProgress || previous == BackupPhase.readyToStart)
                && phase != BackupPhase.inProgress && phase != BackupPhase.readyToStart
            let joined = phase == BackupPhase.queued && previous != BackupPhase.queued
            var deletedRunning = false
            if case .deleted = event, phase == BackupPhase.inProgress || phase == BackupPhase.readyToStart {
                deletedRunning = true
            }
            guard stoppedRunning || joined || deletedRunning else { return }
            let queued = informer.cache.list()
                .filter { $0["status"]?["phase"]?.stringValue == BackupPhase.queued }
                .sorted {
                    ($0["status"]?["queuePosition"]?.intValue ?? 0) < ($1["status"]?["queuePosition"]?.intValue ?? 0)
                }
            for backup in queued {
                if let key = NamespacedName(backup) { queue.add(key) }
            }
        }
    }
}
