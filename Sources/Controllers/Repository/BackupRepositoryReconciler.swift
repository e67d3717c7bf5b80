package import BackupEngine
package import Foundation
package import Kubernetes
package import Logging
import VeleroAPI

/// The BackupRepository controller's maintenance (Velero 1.18's `BackupRepoReconciler.runMaintenanceIfDue`): when
/// ``RepositoryMaintenanceDecision`` says a `Ready` repository is due, its restic-format repository is pruned under
/// the exclusive lock (``PodVolumeRepositoryMaintainer``), and the run is recorded in `status.recentMaintenance`
/// (the last three) and, when it succeeded, `status.lastMaintenanceTime`. Velero runs this as a Job; Lifeboat runs
/// it in the leading server.
package struct BackupRepositoryReconciler: Reconciler {
    let client: KubeClient
    let locations: StorageLocations
    let serverFrequency: Duration?
    let metrics: ServerMetrics
    let now: @Sendable () -> Date
    let logger: Logger

    /// - Parameters:
    ///   - serverFrequency: `--default-repo-maintain-frequency` (nil: the repositories' default, a week).
    ///   - metrics: where `velero_repo_maintenance_*` are recorded.
    package init(
        client: KubeClient,
        locations: StorageLocations,
        serverFrequency: Duration?,
        metrics: ServerMetrics = ServerMetrics(),
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.client = client
        self.locations = locations
        self.serverFrequency = serverFrequency
        self.metrics = metrics
        self.now = now
        self.logger = logger
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        let namespace = key.namespace ?? locations.namespace
        guard
            let object = try await client.getIfPresent(BackupRepository.resource, namespace: namespace, name: key.name)
        else { return .done }
        let repository: BackupRepository
        do {
            repository = try object.value.decode(as: BackupRepository.self)
        } catch {
            logger.warning("backup repository \(key) cannot be read: \(error)")
            return .done
        }
        let location: BackupStorageLocation
        do {
            location = try await locations.get(repository.spec.backupStorageLocation)
        } catch {
            // Velero: "Fail to get BSL for BackupRepository. Skip reconciling." (a new location requeues nothing).
            logger.error(
                "Fail to get BSL for BackupRepository. Skip reconciling: \(error)",
                metadata: ["backupRepo": "\(key)"]
            )
            return ReconcileResult(requeueAfter: RepositoryMaintenanceDecision.retryAfterFailure)
        }
        let decision = RepositoryMaintenanceDecision.decide(
            repository,
            locationReadOnly: location.spec.accessMode == "ReadOnly",
            serverFrequency: serverFrequency,
            now: now()
        )
        let frequency: Duration
        switch decision {
        case .skip(let reason):
            logger.debug("Skip running maintenance for BackupRepository: \(reason)", metadata: ["backupRepo": "\(key)"])
            return .done
        case .wait(let delay):
            return ReconcileResult(requeueAfter: delay)
        case .maintain(let next):
            frequency = next
        }
        logger.info("Running maintenance on backup repository", metadata: ["backupRepo": "\(key)"])
        let start = now()
        let outcome: (succeeded: Bool, message: String)
        do {
            outcome = (true, try await maintain(repository, location: location).message)
        } catch {
            outcome = (false, "\(error)")
            logger.warning("Repository maintenance failed: \(error)", metadata: ["backupRepo": "\(key)"])
        }
        let end = now()
        metrics.repositoryMaintenanceEnded(
            repository: key.name,
            succeeded: outcome.succeeded,
            seconds: end.timeIntervalSince(start)
        )
        let status = RepositoryMaintenanceDecision.recording(
            repository.status,
            succeeded: outcome.succeeded,
            start: start,
            end: end,
            message: outcome.message
        )
        let encoded = try JSONValue(encoding: status)
        _ = try await client.changeStatus(BackupRepository.resource, namespace: namespace, name: key.name) { live in
            var merged = live.status?.objectValue ?? [:]
            for field in ["lastMaintenanceTime", "recentMaintenance"] { merged[field] = encoded[field] }
            live.status = .object(merged)
            return true
        }
        return ReconcileResult(
            requeueAfter: outcome.succeeded ? frequency : RepositoryMaintenanceDecision.retryAfterFailure
        )
    }

    private func maintain(
        _ repository: BackupRepository,
        location: BackupStorageLocation
    ) async throws -> PodVolumeRepositoryMaintainer.Result {
        guard let password = try await PodVolumeRepositories.password(client: client, namespace: locations.namespace)
        else {
            throw BackupEngineError(
                code: .notFound,
                message:
                    "the repository password Secret \(locations.namespace)/\(PodVolumeRepositories.passwordSecretName) "
                    + "(key \(PodVolumeRepositories.passwordSecretKey)) is missing"
            )
        }
        let store = try await locations.store(for: location)
        return try await PodVolumeRepositoryMaintainer(store: store, password: password, logger: logger)
            .maintain(volumeNamespace: repository.spec.volumeNamespace)
    }
}
