import BackupEngine
package import Foundation
package import VeleroAPI

/// What the GC controller does with one Backup at one moment (Velero 1.18's `gcReconciler`,
/// `pkg/controller/gc_controller.go`), decided without touching the cluster.
///
/// - A backup without `status.expiration`, or whose expiration is still ahead, is left alone.
/// - An expired backup whose location does not exist is labelled `velero.io/gc-failure=BSLNotFound`
///   (`BSLCannotGet` when it could not be read); one whose location is not `Available` is left for the next pass;
///   one whose location is `ReadOnly` is labelled `BSLReadOnly`.
/// - Otherwise the label goes, and unless a DeleteBackupRequest of the backup is still `New` (or has no phase) or
///   `InProgress`, a new one is created: `generateName: <backup>-`, labels `velero.io/backup-name` and
///   `velero.io/backup-uid`, `spec.backupName`.
package enum GarbageCollectionDecision: Sendable, Equatable {
    /// Not expired (or without an expiration): nothing to do.
    case notExpired
    /// Expired, but its location cannot be used now: set (or, nil, keep) the `velero.io/gc-failure` label and
    /// retry at the next pass.
    case blocked(failureLabel: String?, reason: String)
    /// Expired and a deletion is already pending.
    case pending
    /// Expired: create `request` (and remove any `velero.io/gc-failure` label).
    case delete(request: DeleteBackupRequest)

    /// What GC knows of the backup's location.
    package enum Location: Sendable, Equatable {
        case found(BackupStorageLocation)
        case notFound
        case unreadable(String)
    }

    /// Velero's `gc-failure` label values.
    package enum Failure {
        package static let locationNotFound = "BSLNotFound"
        package static let locationCannotGet = "BSLCannotGet"
        package static let locationReadOnly = "BSLReadOnly"
    }

    /// Decides for `backup` at `now`.
    ///
    /// - Parameters:
    ///   - backup: the Backup as read.
    ///   - location: its location (`spec.storageLocation`).
    ///   - requestPhases: the phases of the DeleteBackupRequests labelled with the backup's name and uid.
    ///   - now: the current time.
    package static func decide(
        _ backup: Backup,
        location: Location,
        requestPhases: [String?],
        now: Date
    ) -> GarbageCollectionDecision {
        guard isExpired(backup, now: now) else { return .notExpired }
        let locationName = backup.spec.storageLocation ?? ""
        switch location {
        case .notFound:
            return .blocked(
                failureLabel: Failure.locationNotFound,
                reason: "backup storage location \(locationName) does not exist"
            )
        case .unreadable(let error):
            return .blocked(
                failureLabel: Failure.locationCannotGet,
                reason: "error getting backup storage location: \(error)"
            )
        case .found(let found):
            guard found.status?.phase == BackupStorageLocationPhase.available else {
                return .blocked(failureLabel: nil, reason: "bsl \(locationName) is unavailable, cannot gc backup")
            }
            if found.isReadOnly {
                return .blocked(
                    failureLabel: Failure.locationReadOnly,
                    reason: "backup storage location \(locationName) is currently in read-only mode"
                )
            }
        }
        let pending = requestPhases.contains { phase in
            let phase = phase ?? ""
            return phase.isEmpty || phase == DeleteBackupRequestPhase.new
                || phase == DeleteBackupRequestPhase.inProgress
        }
        if pending { return .pending }
        return .delete(request: request(for: backup))
    }

    /// Whether `backup` has a `status.expiration` at or before `now`.
    package static func isExpired(_ backup: Backup, now: Date) -> Bool {
        guard let text = backup.status?.expiration, let expiration = Timestamps.parse(text) else { return false }
        return expiration <= now
    }

    /// Velero's `NewDeleteBackupRequest`, in the backup's namespace.
    package static func request(for backup: Backup) -> DeleteBackupRequest {
        var metadata = ObjectMeta(namespace: backup.metadata.namespace)
        metadata.generateName = backup.name + "-"
        metadata.labels = [
            VeleroLabels.backupName: RestoreMetadata.validLabelValue(backup.name),
            VeleroLabels.backupUID: backup.metadata.uid ?? "",
        ]
        return DeleteBackupRequest(metadata: metadata, spec: .init(backupName: backup.name))
    }
}

/// DeleteBackupRequest phases.
package enum DeleteBackupRequestPhase {
    package static let new = "New"
    package static let inProgress = "InProgress"
    package static let processed = "Processed"
}
