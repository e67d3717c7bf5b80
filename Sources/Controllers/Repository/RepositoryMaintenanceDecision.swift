package import Foundation
import Kubernetes
package import VeleroAPI

/// When the BackupRepository controller maintains a repository, and what it records (Velero 1.18's
/// `BackupRepoReconciler`: `dueForMaintenance`, `getRepositoryMaintenanceFrequency`, `updateRepoMaintenanceHistory`),
/// decided without touching the cluster.
///
/// - Only `Ready` repositories of Lifeboat's type (`restic`) are maintained, and none whose location is `ReadOnly`.
/// - The frequency is `spec.maintenanceFrequency`, else `--default-repo-maintain-frequency`, else a week (the restic
///   repositories' default in Velero).
/// - A repository never maintained (no `status.lastMaintenanceTime`) is due at once; otherwise once
///   `lastMaintenanceTime + frequency` has passed. Unlike Velero, which looks at repositories every few minutes, the
///   controller comes back exactly when the next run is due.
package enum RepositoryMaintenanceDecision: Sendable, Equatable {
    /// Nothing to do, for `reason` (logged), until the repository changes.
    case skip(reason: String)
    /// Not due: look again after this delay.
    case wait(Duration)
    /// Maintain now; the next run is due `frequency` later.
    case maintain(frequency: Duration)

    /// Velero's default maintenance frequency of restic repositories.
    package static let defaultFrequency: Duration = .seconds(7 * 24 * 3600)
    /// How long after a failed run the next is tried.
    package static let retryAfterFailure: Duration = .seconds(300)
    /// How many runs `status.recentMaintenance` keeps (Velero's `defaultMaintenanceStatusQueueLength`).
    package static let historyLength = 3

    /// Decides for `repository` at `now`.
    ///
    /// - Parameters:
    ///   - locationReadOnly: whether the repository's location is `ReadOnly`.
    ///   - serverFrequency: `--default-repo-maintain-frequency` (nil or not positive: unset).
    package static func decide(
        _ repository: BackupRepository,
        locationReadOnly: Bool,
        serverFrequency: Duration?,
        now: Date
    ) -> RepositoryMaintenanceDecision {
        let type = repository.spec.repositoryType ?? ""
        guard type.isEmpty || type == PodVolumeRepositories.repositoryType else {
            return .skip(reason: "repository type \(type) is not maintained by Lifeboat")
        }
        guard repository.status?.phase == "Ready" else {
            return .skip(reason: "repository is \(repository.status?.phase ?? "New"), not Ready")
        }
        guard !locationReadOnly else {
            return .skip(reason: "its backup storage location is in ReadOnly mode")
        }
        let frequency = Self.frequency(of: repository, serverFrequency: serverFrequency)
        guard let text = repository.status?.lastMaintenanceTime, let last = Timestamps.parse(text) else {
            return .maintain(frequency: frequency)
        }
        let next = last.addingTimeInterval(LocationValidationDecision.seconds(frequency))
        guard now > next else { return .wait(LocationValidationDecision.delay(from: now, to: next)) }
        return .maintain(frequency: frequency)
    }

    /// The maintenance frequency of `repository`: its spec's when positive, else the server's when positive, else
    /// ``defaultFrequency``.
    package static func frequency(of repository: BackupRepository, serverFrequency: Duration?) -> Duration {
        if let own = GoDuration.parse(repository.spec.maintenanceFrequency), own > .zero { return own }
        if let serverFrequency, serverFrequency > .zero { return serverFrequency }
        return defaultFrequency
    }

    /// The status after a run from `start` to `end`: the run appended to `recentMaintenance` (the oldest dropped
    /// beyond ``historyLength``), and on success `lastMaintenanceTime` set to its end.
    package static func recording(
        _ status: BackupRepository.Status?,
        succeeded: Bool,
        start: Date,
        end: Date,
        message: String
    ) -> BackupRepository.Status {
        var status = status ?? BackupRepository.Status()
        var run = BackupRepository.MaintenanceStatus(result: succeeded ? "Succeeded" : "Failed")
        run.startTimestamp = Timestamps.format(start)
        run.completeTimestamp = Timestamps.format(end)
        run.message = message
        let history = (status.recentMaintenance ?? []) + [run]
        status.recentMaintenance = Array(history.suffix(historyLength))
        if succeeded { status.lastMaintenanceTime = Timestamps.format(end) }
        return status
    }
}
