package import CoreMetrics
package import Foundation
import Synchronization
package import VeleroAPI

/// Velero's server metrics (`pkg/metrics/metrics.go`), under Velero's names and labels, recorded through a
/// swift-metrics `MetricsFactory`: dashboards and alerts written for Velero read Lifeboat's unchanged.
///
/// The controllers record them where Velero's do: the Backup controller counts attempts and outcomes and sets the
/// size, duration and item gauges of each run; the Restore controller counts its attempts and outcomes; the
/// DeleteBackupRequest controller its deletions; the location controller the locations' availability;
/// ``InventoryMetrics`` recounts the existing Backups and Restores every minute. Backup and restore metrics carry
/// the label `schedule`: the schedule that made the backup, empty for a backup made by hand.
///
/// The factory decides where the values go (`lifeboat server` passes a Prometheus factory whose registry
/// `/metrics` serves); a factory that supports per-metric histogram buckets should take
/// ``durationHistogramBuckets``, Velero's buckets.
///
/// ```swift
/// var factory = PrometheusMetricsFactory(registry: registry)
/// factory.durationHistogramBuckets = ServerMetrics.durationHistogramBuckets
/// let metrics = ServerMetrics(factory: factory)
/// metrics.backupAttempt(schedule: "")
/// ```
package struct ServerMetrics: Sendable {
    /// Where the values are recorded.
    package let factory: any MetricsFactory
    /// The schedules whose metrics were started (shared by the copies of this value).
    private let started = StartedSchedules()

    /// Metrics recorded through `factory` (by default nowhere).
    package init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
    }

    /// The schedules ``initSchedule(_:)`` started and ``removeSchedule(_:)`` has not dropped since.
    private final class StartedSchedules: Sendable {
        let names = Mutex<Set<String>>([])
    }

    /// Velero's metric names.
    package enum Name {
        package static let backupTotal = "velero_backup_total"
        package static let backupAttempt = "velero_backup_attempt_total"
        package static let backupSuccess = "velero_backup_success_total"
        package static let backupPartialFailure = "velero_backup_partial_failure_total"
        package static let backupFailure = "velero_backup_failure_total"
        package static let backupValidationFailure = "velero_backup_validation_failure_total"
        package static let backupDuration = "velero_backup_duration_seconds"
        package static let backupTarballSize = "velero_backup_tarball_size_bytes"
        package static let backupLastSuccessfulTimestamp = "velero_backup_last_successful_timestamp"
        package static let backupItemsTotal = "velero_backup_items_total"
        package static let backupItemsErrors = "velero_backup_items_errors"
        package static let backupWarning = "velero_backup_warning_total"
        package static let backupLastStatus = "velero_backup_last_status"
        package static let backupDeletionAttempt = "velero_backup_deletion_attempt_total"
        package static let backupDeletionSuccess = "velero_backup_deletion_success_total"
        package static let backupDeletionFailure = "velero_backup_deletion_failure_total"
        package static let backupLocationStatus = "velero_backup_location_status_gauge"
        package static let volumeSnapshotAttempt = "velero_volume_snapshot_attempt_total"
        package static let volumeSnapshotSuccess = "velero_volume_snapshot_success_total"
        package static let volumeSnapshotFailure = "velero_volume_snapshot_failure_total"
        package static let restoreTotal = "velero_restore_total"
        package static let restoreAttempt = "velero_restore_attempt_total"
        package static let restoreSuccess = "velero_restore_success_total"
        package static let restorePartialFailure = "velero_restore_partial_failure_total"
        package static let restoreFailed = "velero_restore_failed_total"
        package static let restoreValidationFailed = "velero_restore_validation_failed_total"
        package static let repoMaintenanceSuccess = "velero_repo_maintenance_success_total"
        package static let repoMaintenanceFailure = "velero_repo_maintenance_failure_total"
        package static let repoMaintenanceDuration = "velero_repo_maintenance_duration_seconds"
    }

    /// The label naming the schedule of a backup (empty for a backup made by hand).
    package static let scheduleLabel = "schedule"
    /// The label naming a backup storage location.
    package static let locationLabel = "backup_location_name"

    /// Velero's buckets of `velero_backup_duration_seconds`: 1, 5, 10, 15 and 30 minutes, 1, 2, 3 and 4 hours.
    package static let durationBuckets: [Duration] = [1, 5, 10, 15, 30, 60, 120, 180, 240].map { .seconds($0 * 60) }

    /// The histogram buckets by metric name, for a factory that takes them per metric.
    package static var durationHistogramBuckets: [String: [Duration]] { [Name.backupDuration: durationBuckets] }

    /// The counters Velero starts at zero for every schedule (and for backups made by hand).
    static let scheduleCounters = [
        Name.backupAttempt, Name.backupSuccess, Name.backupPartialFailure, Name.backupFailure,
        Name.backupValidationFailure, Name.backupDeletionAttempt, Name.backupDeletionSuccess,
        Name.backupDeletionFailure, Name.backupWarning, Name.restoreAttempt, Name.restorePartialFailure,
        Name.restoreFailed, Name.restoreSuccess, Name.restoreValidationFailed, Name.volumeSnapshotSuccess,
        Name.volumeSnapshotAttempt, Name.volumeSnapshotFailure,
    ]

    /// The counter of each end of a backup.
    static let backupOutcomes = [
        BackupPhase.completed: Name.backupSuccess, BackupPhase.partiallyFailed: Name.backupPartialFailure,
        BackupPhase.failed: Name.backupFailure, BackupPhase.failedValidation: Name.backupValidationFailure,
    ]

    /// The counter of each end of a restore.
    static let restoreOutcomes = [
        RestorePhase.completed: Name.restoreSuccess, RestorePhase.partiallyFailed: Name.restorePartialFailure,
        RestorePhase.failed: Name.restoreFailed, RestorePhase.failedValidation: Name.restoreValidationFailed,
    ]

    /// The schedule label value of a Backup: its `velero.io/schedule-name` label, empty when it has none.
    package static func schedule(of labels: [String: String]?) -> String {
        labels?[VeleroLabels.scheduleName] ?? ""
    }

    // MARK: - schedules

    /// Velero's `InitSchedule`: the schedule's counters and item gauges exported (at zero until something happens),
    /// and its last status 1. The server does it for `""` when it starts, the Schedule controller each time it looks
    /// at a schedule.
    ///
    /// Velero sets the last status to 1 at each of those looks (every minute), which hides a failure a minute later;
    /// here only the first look sets it, so the gauge keeps the outcome of the last backup.
    package func initSchedule(_ schedule: String) {
        for name in Self.scheduleCounters { counter(name, schedule).increment(by: 0) }
        // Created, not set: a value recorded earlier stays (Velero's `Add(0)`).
        _ = gauge(Name.backupItemsTotal, schedule)
        _ = gauge(Name.backupItemsErrors, schedule)
        if started.names.withLock({ $0.insert(schedule).inserted }) {
            gauge(Name.backupLastStatus, schedule).record(1)
        }
    }

    /// Velero's `RemoveSchedule`: a deleted schedule's metrics are no longer exported. Only a schedule that
    /// ``initSchedule(_:)`` started is dropped: the Schedule controller also looks for the schedules of Backups whose
    /// Schedule never existed here (made by hand with the label, or synced from a location), and their metrics stay.
    package func removeSchedule(_ schedule: String) {
        guard started.names.withLock({ $0.remove(schedule) != nil }) else { return }
        for name in Self.scheduleCounters { counter(name, schedule).destroy() }
        for name in [
            Name.backupTarballSize, Name.backupLastSuccessfulTimestamp, Name.backupItemsTotal, Name.backupItemsErrors,
            Name.backupLastStatus,
        ] {
            gauge(name, schedule).destroy()
        }
        timer(Name.backupDuration, schedule).destroy()
    }

    // MARK: - backups

    /// A backup passed validation and starts (`velero_backup_attempt_total`).
    package func backupAttempt(schedule: String) {
        counter(Name.backupAttempt, schedule).increment()
    }

    /// A backup ended in `phase`: the counter of that outcome and `velero_backup_last_status` (1 only for
    /// `Completed`). Phases that are not an end are ignored.
    package func backupEnded(phase: String, schedule: String) {
        guard let outcome = Self.backupOutcomes[phase] else { return }
        counter(outcome, schedule).increment()
        gauge(Name.backupLastStatus, schedule).record(phase == BackupPhase.completed ? 1 : 0)
    }

    /// Velero's `recordBackupMetrics` for a backup that ran: the tarball's size (when it was written), the duration
    /// from its start and completion times, the item and error gauges, a warning when it has warnings, and the
    /// volume snapshot counters.
    package func backupRan(_ backup: Backup, tarballSize: Int?) {
        let schedule = Self.schedule(of: backup.metadata.labels)
        let status = backup.status
        if let tarballSize { gauge(Name.backupTarballSize, schedule).record(tarballSize) }
        if let start = status?.startTimestamp.flatMap(Timestamps.parse),
            let end = status?.completionTimestamp.flatMap(Timestamps.parse)
        {
            // Whole seconds, as Velero's.
            timer(Name.backupDuration, schedule).recordSeconds(Int(end.timeIntervalSince(start).rounded(.down)))
        }
        let attempted = status?.volumeSnapshotsAttempted ?? 0
        let completed = status?.volumeSnapshotsCompleted ?? 0
        counter(Name.volumeSnapshotAttempt, schedule).increment(by: max(0, attempted))
        counter(Name.volumeSnapshotSuccess, schedule).increment(by: max(0, completed))
        counter(Name.volumeSnapshotFailure, schedule).increment(by: max(0, attempted - completed))
        if let total = status?.progress?.totalItems { gauge(Name.backupItemsTotal, schedule).record(total) }
        gauge(Name.backupItemsErrors, schedule).record(status?.errors ?? 0)
        if (status?.warnings ?? 0) > 0 { counter(Name.backupWarning, schedule).increment() }
    }

    /// The number of Backups in the cluster (`velero_backup_total`).
    package func backupTotal(_ count: Int) {
        Gauge(label: Name.backupTotal, factory: factory).record(count)
    }

    /// When the schedule's most recent `Completed` backup completed, in Unix seconds.
    package func backupLastSuccessful(_ time: Date, schedule: String) {
        gauge(Name.backupLastSuccessfulTimestamp, schedule).record(time.timeIntervalSince1970.rounded(.down))
    }

    // MARK: - deletions

    /// The deletion of a backup starts (its Backup is marked `Deleting`).
    package func backupDeletionAttempt(schedule: String) {
        counter(Name.backupDeletionAttempt, schedule).increment()
    }

    /// The deletion of a backup ended, with no error or with some.
    package func backupDeletionEnded(succeeded: Bool, schedule: String) {
        counter(succeeded ? Name.backupDeletionSuccess : Name.backupDeletionFailure, schedule).increment()
    }

    // MARK: - restores

    /// A restore was validated, whatever the outcome (`velero_restore_attempt_total`, as Velero counts it).
    package func restoreAttempt(schedule: String) {
        counter(Name.restoreAttempt, schedule).increment()
    }

    /// A restore ended in `phase`; phases that are not an end are ignored.
    package func restoreEnded(phase: String, schedule: String) {
        guard let outcome = Self.restoreOutcomes[phase] else { return }
        counter(outcome, schedule).increment()
    }

    /// The number of Restores in the cluster (`velero_restore_total`).
    package func restoreTotal(_ count: Int) {
        Gauge(label: Name.restoreTotal, factory: factory).record(count)
    }

    // MARK: - locations

    /// A location was validated: 1 when it is available, 0 when not.
    package func locationStatus(_ name: String, available: Bool) {
        Gauge(label: Name.backupLocationStatus, dimensions: [(Self.locationLabel, name)], factory: factory)
            .record(available ? 1 : 0)
    }

    // MARK: - repositories

    /// The label of the repository maintenance metrics: the BackupRepository's name.
    package static let repositoryLabel = "repository_name"

    /// A maintenance run of BackupRepository `repository` ended after `seconds` (Velero's
    /// `RegisterRepoMaintenanceSuccess|Failure` and `ObserveRepoMaintenanceDuration`).
    package func repositoryMaintenanceEnded(repository: String, succeeded: Bool, seconds: Double) {
        let dimensions = [(Self.repositoryLabel, repository)]
        Counter(
            label: succeeded ? Name.repoMaintenanceSuccess : Name.repoMaintenanceFailure,
            dimensions: dimensions,
            factory: factory
        ).increment()
        CoreMetrics.Timer(label: Name.repoMaintenanceDuration, dimensions: dimensions, factory: factory)
            .recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    // MARK: - handles

    private func counter(_ name: String, _ schedule: String) -> Counter {
        Counter(label: name, dimensions: [(Self.scheduleLabel, schedule)], factory: factory)
    }

    private func gauge(_ name: String, _ schedule: String) -> Gauge {
        Gauge(label: name, dimensions: [(Self.scheduleLabel, schedule)], factory: factory)
    }

    private func timer(_ name: String, _ schedule: String) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: name, dimensions: [(Self.scheduleLabel, schedule)], factory: factory)
    }
}
