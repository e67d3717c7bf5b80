package import BackupEngine
import Foundation
package import Kubernetes
package import Logging
import VeleroAPI

/// The Restore controller's reconcile in server mode (Velero's `restoreReconciler`): a Restore that is `New` (or has
/// no phase) — applied with kubectl, or created by a client against the server — is validated and run by the restore
/// engine, which takes the CR over and writes its phases (InProgress → Completed | PartiallyFailed | Failed).
///
/// Validation as Velero's: exactly one of `spec.backupName` and `spec.scheduleName` (a schedule's most recent
/// `Completed` Backup is taken, and `spec.backupName` set to it); the Backup must exist in the cluster and its
/// location be `Available` (validated by the location controller); a spec the engine refuses (filters, existing-resource policy, modifiers…) fails too.
/// A Restore that fails validation ends `FailedValidation` with the reasons in `status.validationErrors`.
///
/// Velero's restore metrics are recorded as Velero's controller records them: an attempt once validated (passed or
/// not), then the outcome, labelled with the schedule of the restore's backup (``ServerMetrics``).
package struct RestoreReconciler: Reconciler {
    let client: KubeClient
    let namespace: String
    let locations: StorageLocations
    let runner: RestoreRunner.Configuration
    let metrics: ServerMetrics
    let logger: Logger

    /// - Parameters:
    ///   - runner: the engine's settings (namespace, parallelism, priorities; `adoptExisting` is set per run).
    ///   - metrics: where Velero's restore metrics are recorded.
    package init(
        client: KubeClient,
        namespace: String,
        locations: StorageLocations,
        runner: RestoreRunner.Configuration,
        metrics: ServerMetrics = ServerMetrics(),
        logger: Logger
    ) {
        self.metrics = metrics
        self.client = client
        self.namespace = namespace
        self.locations = locations
        self.runner = runner
        self.logger = logger
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        guard key.namespace == namespace else { return .done }
        guard let object = try await client.getIfPresent(Restore.resource, namespace: namespace, name: key.name)
        else { return .done }
        let phase = object["status"]?["phase"]?.stringValue ?? ""
        guard phase.isEmpty || phase == "New" else { return .done }
        var restore: Restore
        do {
            restore = try object.value.decode(as: Restore.self)
        } catch {
            metrics.restoreAttempt(schedule: "")
            try await failValidation(key, schedule: "", errors: ["the Restore cannot be read: \(error)"])
            return .done
        }
        logger.info("processing restore", metadata: ["restore": "\(key)"])

        // The metrics' schedule: the restore's, else that of its backup (Velero fills in `spec.scheduleName`).
        var schedule = restore.spec.scheduleName ?? ""
        let source: (backup: Backup, store: BackupStore)
        switch await validatedSource(&restore) {
        case .failure(let errors):
            metrics.restoreAttempt(schedule: schedule)
            try await failValidation(key, schedule: schedule, errors: errors)
            return .done
        case .success(let found):
            source = found
        }
        if schedule.isEmpty { schedule = ServerMetrics.schedule(of: source.backup.metadata.labels) }
        metrics.restoreAttempt(schedule: schedule)
        var configuration = runner
        configuration.namespace = namespace
        configuration.adoptExisting = true
        configuration.recordInCluster = true
        configuration.dryRun = false
        let engine = RestoreRunner(client: client, store: source.store, configuration: configuration, logger: logger)
        do {
            let outcome = try await engine.run(restore)
            logger.info("restore \(key) ended \(outcome.restore.status?.phase ?? "?")")
            metrics.restoreEnded(phase: outcome.restore.status?.phase ?? "", schedule: schedule)
        } catch let error as BackupEngineError where error.code == .invalidSpec || error.code == .alreadyExists {
            try await failValidation(key, schedule: schedule, errors: [error.message])
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.error("restore \(key) failed: \(error)")
            metrics.restoreEnded(phase: RestorePhase.failed, schedule: schedule)
            try await end(key, ["phase": "Failed", "failureReason": .string("\(error)")])
        }
        return .done
    }

    private enum Source {
        case success((backup: Backup, store: BackupStore))
        case failure([String])
    }

    /// The Backup the restore reads and its location's store, or Velero's validation errors.
    private func validatedSource(_ restore: inout Restore) async -> Source {
        let backupName = restore.spec.backupName ?? ""
        let scheduleName = restore.spec.scheduleName ?? ""
        guard backupName.isEmpty != scheduleName.isEmpty else {
            return .failure(["Either a backup or schedule must be specified as a source for the restore, but not both"])
        }
        if !scheduleName.isEmpty {
            switch await latestBackup(ofSchedule: scheduleName) {
            case .failure(let errors): return .failure(errors)
            case .success(let name): restore.spec.backupName = name
            }
        }
        let name = restore.spec.backupName ?? ""
        let backup: Backup
        do {
            backup = try await client.get(Backup.resource, namespace: namespace, name: name).value.decode(
                as: Backup.self
            )
        } catch {
            return .failure(["Error retrieving backup: can't find backup \(namespace)/\(name): \(error)"])
        }
        do {
            let location = try await locations.get(backup.spec.storageLocation)
            // Velero's `BSLIsAvailable`: only a location validated `Available` is read.
            if location.status?.phase != "Available" {
                return .failure(["The BSL \(location.metadata.name ?? "") is unavailable, cannot retrieve the backup"])
            }
            return .success((backup, try await locations.store(for: location)))
        } catch {
            return .failure(["Error retrieving backup: \(error)"])
        }
    }

    private enum Latest {
        case success(String)
        case failure([String])
    }

    /// Velero's `mostRecentCompletedBackup` among the schedule's Backups (label `velero.io/schedule-name`).
    private func latestBackup(ofSchedule schedule: String) async -> Latest {
        let backups: [Backup]
        do {
            let selector = try LabelSelector(matchLabels: [VeleroLabels.scheduleName: schedule])
            backups = try await client.list(
                Backup.resource,
                namespace: namespace,
                options: ListOptions(labelSelector: selector)
            )
            .items.compactMap { try? $0.value.decode(as: Backup.self) }
        } catch {
            return .failure(["Unable to list backups for schedule"])
        }
        guard !backups.isEmpty else { return .failure(["No backups found for schedule"]) }
        let started = { (backup: Backup) in backup.status?.startTimestamp.flatMap(Timestamps.parse) ?? .distantPast }
        let newestFirst = backups.sorted { started($0) > started($1) }
        guard let completed = newestFirst.first(where: { $0.status?.phase == BackupPhase.completed }) else {
            return .failure(["No completed backups found for schedule"])
        }
        return .success(completed.name)
    }

    private func failValidation(_ key: NamespacedName, schedule: String, errors: [String]) async throws {
        logger.info("restore \(key) failed validation: \(errors.joined(separator: "; "))")
        metrics.restoreEnded(phase: RestorePhase.failedValidation, schedule: schedule)
        try await end(key, ["phase": "FailedValidation", "validationErrors": .array(errors.map(JSONValue.string))])
    }

    /// Ends the Restore if it is still `New` (``KubeClient/endIfNew(_:namespace:name:_:)``).
    private func end(_ key: NamespacedName, _ fields: JSONObject) async throws {
        try await client.endIfNew(Restore.resource, namespace: namespace, name: key.name, fields)
    }
}
