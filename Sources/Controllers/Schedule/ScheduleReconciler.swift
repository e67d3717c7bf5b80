package import Foundation
package import Kubernetes
package import Logging
import VeleroAPI

/// The Schedule controller's reconcile (Velero's `scheduleReconciler.Reconcile`): reads the Schedule, decides with
/// ``ScheduleDecision``, creates the due Backup and writes the Schedule back, and asks to come back at the next
/// activation.
///
/// The Schedule is read from the API, not from the informer's cache, so a reconcile that follows its own write
/// before the watch brings it never sees the old `lastBackup` (and never creates a second Backup for one tick);
/// running Backups are looked up in the Backup informer's cache by the schedule-name index.
///
/// As Velero's, it starts the metrics of each schedule it sees at zero and drops those of a deleted one.
package struct ScheduleReconciler: Reconciler {
    /// The index of the Backup cache by `velero.io/schedule-name`.
    package static let scheduleIndex = "schedule-name"

    /// The indexers the Backup informer needs for this reconciler.
    package static var backupIndexers: [String: InformerCache.IndexFunction] {
        [scheduleIndex: { object in object.labels[VeleroLabels.scheduleName].map { [$0] } ?? [] }]
    }

    let client: KubeClient
    let namespace: String
    let backups: InformerCache
    let skipImmediatelyDefault: Bool
    let now: @Sendable () -> Date
    let metrics: ServerMetrics
    let logger: Logger

    /// - Parameters:
    ///   - client: the API client.
    ///   - namespace: the install namespace.
    ///   - backups: the Backup informer's cache, with ``backupIndexers``.
    ///   - skipImmediatelyDefault: `--schedule-skip-immediately`.
    ///   - now: the time source.
    ///   - metrics: where the schedules' metrics are started and dropped.
    ///   - logger: where decisions are logged.
    package init(
        client: KubeClient,
        namespace: String,
        backups: InformerCache,
        skipImmediatelyDefault: Bool = false,
        now: @escaping @Sendable () -> Date = { Date() },
        metrics: ServerMetrics = ServerMetrics(),
        logger: Logger
    ) {
        self.metrics = metrics
        self.client = client
        self.namespace = namespace
        self.backups = backups
        self.skipImmediatelyDefault = skipImmediatelyDefault
        self.now = now
        self.logger = logger
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        guard let object = try await client.getIfPresent(Schedule.resource, namespace: key.namespace, name: key.name)
        else {
            metrics.removeSchedule(key.name)
            return ReconcileResult()
        }
        metrics.initSchedule(key.name)
        let schedule: Schedule
        do {
            schedule = try object.value.decode(as: Schedule.self)
        } catch {
            logger.warning("schedule \(key) cannot be read: \(error)")
            return ReconcileResult()
        }
        let running = backups.objects(index: Self.scheduleIndex, value: key.name).contains { backup in
            let phase = backup["status"]?["phase"]?.stringValue ?? ""
            return backup.namespace == key.namespace
                && (phase.isEmpty || phase == BackupPhase.new || phase == BackupPhase.inProgress)
        }
        let time = now()
        let decision = ScheduleDecision.decide(
            schedule,
            now: time,
            skipImmediatelyDefault: skipImmediatelyDefault,
            backupRunning: running
        )
        if let backup = decision.backup {
            logger.info("Schedule is due, going to submit backup.", metadata: ["schedule": "\(key)"])
            guard let request = KubeObject(try JSONValue(encoding: backup)) else { return ReconcileResult() }
            do {
                _ = try await client.create(Backup.resource, namespace: key.namespace, request)
            } catch let error as KubeError where error.code == .alreadyExists {
                // This tick's Backup exists (an earlier attempt whose Schedule write failed): record the tick.
                logger.info("backup \(backup.name) of schedule \(key) exists already")
            }
        }
        if let updated = decision.updated {
            guard var write = KubeObject(try JSONValue(encoding: updated)) else { return ReconcileResult() }
            write.value[path: ["metadata", "resourceVersion"]] = object.value[path: ["metadata", "resourceVersion"]]
            _ = try await client.update(Schedule.resource, namespace: key.namespace, write)
        }
        return ReconcileResult(requeueAfter: decision.requeueAfter)
    }
}
