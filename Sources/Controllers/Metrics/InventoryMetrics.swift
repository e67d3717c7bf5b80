package import Foundation
package import Kubernetes
package import Logging
import ServiceLifecycle
package import VeleroAPI

/// The metrics Velero recomputes every minute from what exists rather than from what happened:
/// `velero_backup_total` and `velero_restore_total` (the Backups and Restores of the install namespace) and
/// `velero_backup_last_successful_timestamp` per schedule (the completion time of its most recent `Completed`
/// Backup; `schedule=""` for backups made by hand).
///
/// It runs in every replica, leader or not, as Velero's does, so each replica's `/metrics` has them. At start it
/// starts the metrics of backups made by hand (`schedule=""`, as Velero's server does) and counts, then counts every
/// `period`, until cancelled or a graceful shutdown.
package struct InventoryMetrics<C: Clock>: Service where C.Duration == Duration {
    let client: KubeClient
    let namespace: String
    let metrics: ServerMetrics
    let period: Duration
    let clock: C
    let logger: Logger

    /// - Parameters:
    ///   - client: the API client.
    ///   - namespace: the install namespace.
    ///   - metrics: where the counts are recorded.
    ///   - period: the time between counts (Velero's: a minute).
    ///   - clock: the clock the period is measured on.
    ///   - logger: where failed counts are logged.
    package init(
        client: KubeClient,
        namespace: String,
        metrics: ServerMetrics,
        period: Duration = .seconds(60),
        clock: C,
        logger: Logger
    ) {
        self.client = client
        self.namespace = namespace
        self.metrics = metrics
        self.period = period
        self.clock = clock
        self.logger = logger
    }

    package func run() async throws {
        metrics.initSchedule("")
        let inventory = self
        await cancelWhenGracefulShutdown { await inventory.refreshUntilCancelled() }
    }

    private func refreshUntilCancelled() async {
        while !Task.isCancelled {
            await refresh()
            do { try await clock.sleep(for: period) } catch { return }
        }
    }

    /// Counts the Backups and Restores once and records the counts.
    package func refresh() async {
        do {
            let backups = try await client.list(Backup.resource, namespace: namespace).items
            metrics.backupTotal(backups.count)
            let decoded = backups.compactMap { try? $0.value.decode(as: Backup.self) }
            for (schedule, time) in Self.lastSuccessBySchedule(decoded) {
                metrics.backupLastSuccessful(time, schedule: schedule)
            }
        } catch {
            if Task.isCancelled { return }
            logger.info("Error computing backup_total metric: \(error)")
        }
        do {
            metrics.restoreTotal(try await client.list(Restore.resource, namespace: namespace).items.count)
        } catch {
            if Task.isCancelled { return }
            logger.info("Error computing restore_total metric: \(error)")
        }
    }

    /// Velero's `getLastSuccessBySchedule`: per schedule label (empty for backups made by hand), the completion time
    /// of the most recent `Completed` Backup.
    package static func lastSuccessBySchedule(_ backups: [Backup]) -> [String: Date] {
        var last: [String: Date] = [:]
        for backup in backups where backup.status?.phase == BackupPhase.completed {
            guard let completed = backup.status?.completionTimestamp.flatMap(Timestamps.parse) else { continue }
            let schedule = ServerMetrics.schedule(of: backup.metadata.labels)
            if completed > last[schedule, default: .distantPast] { last[schedule] = completed }
        }
        return last
    }
}
