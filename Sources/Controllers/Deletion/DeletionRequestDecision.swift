package import Foundation
package import VeleroAPI

/// What the DeleteBackupRequest controller does with one request (Velero 1.18's `backupDeletionReconciler`,
/// `pkg/controller/backup_deletion_controller.go`), decided without touching the cluster.
///
/// - A request `Processed` or `InProgress` is not run again; once 24 hours old it is deleted (Velero's
///   `deleteBackupRequestMaxAge`).
/// - A request without `spec.backupName` ends `Processed` with Velero's error; so does one whose backup is still
///   running, is missing, or whose location is missing, read-only or not `Available` (Velero's messages).
/// - Otherwise the deletion runs.
package enum DeletionRequestDecision: Sendable, Equatable {
    /// Delete the request itself (it is done and old).
    case expire
    /// Leave the request alone; look again after the delay (nil: only when it changes).
    case wait(requeueAfter: Duration?)
    /// End the request `Processed` with this error.
    case reject(String)
    /// Run the deletion.
    case run

    /// How long Velero keeps a `Processed` or `InProgress` request.
    package static let maxAge: Duration = .seconds(24 * 3600)

    /// The first look at `request` at `now`, before its backup is read: ``expire``, ``wait(requeueAfter:)``,
    /// ``reject(_:)`` (no backup name), or ``run`` (go on with ``check(backup:location:)``).
    package static func triage(_ request: DeleteBackupRequest, now: Date) -> DeletionRequestDecision {
        let phase = request.status?.phase ?? ""
        if phase == DeleteBackupRequestPhase.processed || phase == DeleteBackupRequestPhase.inProgress {
            let created = request.metadata.creationTimestamp.flatMap(Timestamps.parse) ?? now
            let age = now.timeIntervalSince(created)
            let limit = LocationValidationDecision.seconds(Self.maxAge)
            if age >= limit { return .expire }
            return .wait(
                requeueAfter: LocationValidationDecision.delay(from: now, to: created.addingTimeInterval(limit))
            )
        }
        if request.spec.backupName.isEmpty { return .reject("spec.backupName is required") }
        return .run
    }

    /// The checks on the backup and its location before a deletion runs (Velero's order and messages).
    ///
    /// - Parameters:
    ///   - backup: the backup, nil when it does not exist.
    ///   - location: its location (`spec.storageLocation`).
    package static func check(backup: Backup?, location: GarbageCollectionDecision.Location) -> DeletionRequestDecision
    {
        guard let backup else { return .reject("backup not found") }
        if backup.status?.phase == BackupPhase.inProgress { return .reject("backup is still in progress") }
        let name = backup.spec.storageLocation ?? ""
        switch location {
        case .notFound:
            return .reject("backup storage location \(name) not found")
        case .unreadable(let error):
            return .reject("error getting backup storage location: \(error)")
        case .found(let found):
            if found.isReadOnly {
                return .reject(
                    "cannot delete backup because backup storage location \(name) is currently in read-only mode"
                )
            }
            if found.status?.phase != BackupStorageLocationPhase.available {
                return .reject(
                    "cannot delete backup because backup storage location \(name) is currently in Unavailable state"
                )
            }
        }
        return .run
    }
}
