import BackupEngine
package import Foundation
import Kubernetes
package import VeleroAPI

/// What the BackupSync controller does for one location (Velero 1.18's `backupSyncReconciler`,
/// `pkg/controller/backup_sync_controller.go`), decided without touching the cluster or the store.
///
/// - A location is synced every `spec.backupSyncPeriod` (else the server's `--backup-sync-period`; 0 disables,
///   a negative one takes the server's) after `status.lastSyncedTime`, only while it is `Available`. Velero looks
///   every minute; the controller comes back exactly when the next sync is due.
/// - Backups in the location that the cluster lacks become Backups in the server's namespace, with
///   `spec.storageLocation` and the label `velero.io/storage-location` set to the location; an incomplete one
///   (waiting for plugin operations, finalizing) only once expired, then as `PartiallyFailed`.
/// - Backups labelled with the location that are `Completed` or `PartiallyFailed` and no longer in the location
///   are deleted from the cluster; others (`New`, `InProgress`, `Failed`, …) are kept.
package enum BackupSyncDecision {
    /// Whether `location` is due for a sync at `now`, and when to look again (nil: only when it changes).
    package static func schedule(
        _ location: BackupStorageLocation,
        defaultPeriod: Duration,
        now: Date
    ) -> (due: Bool, requeueAfter: Duration?) {
        var period = defaultPeriod
        if let text = location.spec.backupSyncPeriod, let own = GoDuration.parse(text) {
            if own == .zero { return (false, nil) }
            if own > .zero { period = own }
        }
        guard location.status?.phase == BackupStorageLocationPhase.available else { return (false, period) }
        guard let text = location.status?.lastSyncedTime, let last = Timestamps.parse(text) else {
            return (true, period)
        }
        let next = last.addingTimeInterval(LocationValidationDecision.seconds(period))
        if now >= next { return (true, period) }
        return (false, LocationValidationDecision.delay(from: now, to: next))
    }

    /// The names in the location that the cluster lacks, sorted.
    package static func missing(inStore store: [String], inCluster cluster: Set<String>) -> [String] {
        Set(store).subtracting(cluster).sorted()
    }

    /// The Backup to create for `backup` as read from `location`'s `velero-backup.json`, nil when it is skipped
    /// (incomplete and not expired).
    package static func synced(
        _ backup: Backup,
        location: String,
        namespace: String,
        now: Date
    ) -> Backup? {
        var backup = backup
        let incomplete: Set<String> = [
            BackupPhase.waitingForPluginOperations, BackupPhase.waitingForPluginOperationsPartiallyFailed,
            BackupPhase.finalizing, BackupPhase.finalizingPartiallyFailed,
        ]
        if let phase = backup.status?.phase, incomplete.contains(phase) {
            let expiration = backup.status?.expiration.flatMap(Timestamps.parse)
            guard let expiration, expiration <= now else { return nil }
            backup.status?.phase = BackupPhase.partiallyFailed
        }
        backup.metadata.namespace = namespace
        backup.metadata.resourceVersion = nil
        backup.metadata.uid = nil
        backup.spec.storageLocation = location
        var labels = backup.metadata.labels ?? [:]
        labels[VeleroLabels.storageLocation] = RestoreMetadata.validLabelValue(location)
        backup.metadata.labels = labels
        return backup
    }

    /// The Backups of the cluster to delete: labelled with the location (`clusterBackups` are those), `Completed`
    /// or `PartiallyFailed`, and not in the location.
    package static func orphans(_ clusterBackups: [Backup], inStore store: [String]) -> [String] {
        let names = Set(store)
        return clusterBackups.filter { backup in
            let phase = backup.status?.phase
            return (phase == BackupPhase.completed || phase == BackupPhase.partiallyFailed)
                && !names.contains(backup.name)
        }.map(\.name).sorted()
    }
}
