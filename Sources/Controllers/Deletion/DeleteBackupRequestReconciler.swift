package import BackupEngine
package import Foundation
package import Kubernetes
package import Logging
import VeleroAPI

/// The DeleteBackupRequest controller's reconcile (Velero's `backupDeletionReconciler`): deletes the backup a
/// request names — as `lifeboat backup delete` does (``BackupDeletion``): its pod volume snapshots forgotten in
/// their repositories, its objects in the location — then the Restores of that backup and the Backup itself, and
/// records the outcome in the request (`New` → `InProgress` → `Processed` with `status.errors`).
///
/// The checks before and their messages are ``DeletionRequestDecision``'s. As in Velero, a problem with the volume
/// snapshots keeps the backup's objects and the Backup (the request says why), the other requests for the same
/// backup are deleted when one starts, all of them when the deletion succeeds, and requests left `Processed` are
/// deleted after 24 hours. Velero's deletion metrics count each deletion started and how it ended.
package struct DeleteBackupRequestReconciler: Reconciler {
    let client: KubeClient
    let locations: StorageLocations
    let now: @Sendable () -> Date
    let metrics: ServerMetrics
    let logger: Logger

    /// - Parameters:
    ///   - client: the API client.
    ///   - locations: the locations of the install namespace and their stores.
    ///   - now: the time source.
    ///   - metrics: where Velero's deletion metrics are recorded.
    ///   - logger: where deletions are logged.
    package init(
        client: KubeClient,
        locations: StorageLocations,
        now: @escaping @Sendable () -> Date = { Date() },
        metrics: ServerMetrics = ServerMetrics(),
        logger: Logger
    ) {
        self.metrics = metrics
        self.client = client
        self.locations = locations
        self.now = now
        self.logger = logger
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        let namespace = key.namespace ?? locations.namespace
        guard
            let object = try await client.getIfPresent(
                DeleteBackupRequest.resource,
                namespace: namespace,
                name: key.name
            )
        else {
            return ReconcileResult()
        }
        guard let request = try? object.value.decode(as: DeleteBackupRequest.self) else {
            logger.warning("deletebackuprequest \(key) cannot be read")
            return ReconcileResult()
        }
        switch DeletionRequestDecision.triage(request, now: now()) {
        case .expire:
            logger.debug("The request is expired, deleting it.", metadata: ["deletebackuprequest": "\(key)"])
            _ = try? await client.delete(DeleteBackupRequest.resource, namespace: namespace, name: key.name)
            return ReconcileResult()
        case .wait(let delay):
            return ReconcileResult(requeueAfter: delay)
        case .reject(let error):
            try await finish(key, errors: [error])
            return ReconcileResult(requeueAfter: DeletionRequestDecision.maxAge)
        case .run:
            break
        }
        let backupName = request.spec.backupName
        var logger = self.logger
        logger[metadataKey: "backup"] = "\(backupName)"
        try await deleteOtherRequests(for: backupName, except: key.name, namespace: namespace)

        let backupObject: KubeObject?
        do {
            backupObject = try await client.get(Backup.resource, namespace: namespace, name: backupName)
        } catch let error as KubeError where error.code == .notFound {
            backupObject = nil
        }
        let backup = try backupObject.map { try $0.value.decode(as: Backup.self) }
        let location = await client.storageLocation(backup?.spec.storageLocation ?? "", namespace: namespace)
        if case .reject(let error) = DeletionRequestDecision.check(backup: backup, location: location) {
            logger.info("backup deletion refused: \(error)")
            try await finish(key, errors: [error])
            return ReconcileResult(requeueAfter: DeletionRequestDecision.maxAge)
        }
        guard let backup, case .found(let found) = location else { return ReconcileResult() }

        try await start(object, backup: backup, namespace: namespace)
        let schedule = ServerMetrics.schedule(of: backup.metadata.labels)
        metrics.backupDeletionAttempt(schedule: schedule)
        let errors = await delete(backup, location: found, namespace: namespace, logger: logger)
        metrics.backupDeletionEnded(succeeded: errors.isEmpty, schedule: schedule)
        try await finish(key, errors: errors)
        if errors.isEmpty {
            logger.info("backup deleted")
            try await deleteAllRequests(of: backup, namespace: namespace)
        } else {
            logger.info("backup deletion ended with errors: \(errors.joined(separator: "; "))")
        }
        return ReconcileResult(requeueAfter: DeletionRequestDecision.maxAge)
    }

    // MARK: - the deletion

    /// Deletes the backup's data, its Restores and (when all went well) the Backup; returns the errors.
    private func delete(
        _ backup: Backup,
        location: BackupStorageLocation,
        namespace: String,
        logger: Logger
    ) async -> [String] {
        var errors: [String] = []
        var deletion: BackupDeletion?
        do {
            let store = try await locations.store(for: location)
            deletion = BackupDeletion(
                client: client,
                namespace: namespace,
                store: store,
                backup: backup.name,
                logger: logger
            )
        } catch {
            errors.append("error getting the backup store: \(error)")
        }
        if let deletion {
            logger.info("Removing pod volume snapshots")
            errors += await deletion.forgetPodVolumeSnapshots().problems
            if errors.isEmpty {
                logger.info("Removing backup from backup storage")
                do {
                    try await deletion.deleteFromLocation()
                } catch {
                    errors.append("\(error)")
                }
            } else {
                logger.info("Skipping removal of backup from backup storage due to previous errors")
            }
        }

        logger.info("Removing restores")
        do {
            for restore in try await client.list(Restore.resource, namespace: namespace).items
            where restore["spec"]?["backupName"]?.stringValue == backup.name {
                let name = restore.name ?? ""
                logger.info("Deleting restore referencing backup", metadata: ["restore": "\(namespace)/\(name)"])
                do {
                    _ = try await client.delete(Restore.resource, namespace: namespace, name: name)
                } catch let error as KubeError where error.code == .notFound {
                    // Gone already; its files may not be.
                } catch {
                    errors.append("error deleting restore \(namespace)/\(name): \(error)")
                    continue
                }
                // What Velero's restore finalizer does when a Restore is deleted: its files in the location go.
                do {
                    _ = try await deletion?.deleteRestoreRecords(name)
                } catch {
                    errors.append("error deleting the files of restore \(namespace)/\(name): \(error)")
                }
            }
        } catch {
            logger.info("Error listing restore API objects: \(error)")
        }

        if errors.isEmpty {
            do {
                _ = try await client.delete(Backup.resource, namespace: namespace, name: backup.name)
            } catch let error as KubeError where error.code == .notFound {
                // Gone already.
            } catch {
                errors.append("error deleting backup \(namespace)/\(backup.name): \(error)")
            }
        }
        return errors
    }

    // MARK: - the request and the backup

    /// Marks the request `InProgress` (with the backup's name and uid labels) and the Backup `Deleting`.
    private func start(_ request: KubeObject, backup: Backup, namespace: String) async throws {
        let name = request.name ?? ""
        var labels = request.labels
        if labels[VeleroLabels.backupName, default: ""].isEmpty {
            labels[VeleroLabels.backupName] = RestoreMetadata.validLabelValue(backup.name)
        }
        if labels[VeleroLabels.backupUID, default: ""].isEmpty {
            labels[VeleroLabels.backupUID] = backup.metadata.uid ?? ""
        }
        if labels != request.labels {
            var labelled = request
            labelled.labels = labels
            _ = try await client.update(DeleteBackupRequest.resource, namespace: namespace, labelled)
        }
        try await client.changeStatus(DeleteBackupRequest.resource, namespace: namespace, name: name) { live in
            var status = live.status?.objectValue ?? [:]
            status["phase"] = .string(DeleteBackupRequestPhase.inProgress)
            live.status = .object(status)
            return true
        }
        try await client.changeStatus(Backup.resource, namespace: namespace, name: backup.name) { live in
            var status = live.status?.objectValue ?? [:]
            status["phase"] = .string(BackupPhase.deleting)
            live.status = .object(status)
            return true
        }
    }

    /// Ends the request `Processed` with `errors` (none: the field is left out, as Velero's `omitempty`).
    private func finish(_ key: NamespacedName, errors: [String]) async throws {
        try await client.changeStatus(DeleteBackupRequest.resource, namespace: key.namespace ?? "", name: key.name) {
            live in
            var status = live.status?.objectValue ?? [:]
            status["phase"] = .string(DeleteBackupRequestPhase.processed)
            status["errors"] = errors.isEmpty ? nil : JSONValue.array(errors.map(JSONValue.string))
            live.status = .object(status)
            return true
        }
    }

    /// Velero's `deleteExistingDeletionRequests`: the other requests for the same backup go.
    private func deleteOtherRequests(for backup: String, except name: String, namespace: String) async throws {
        let selector = try LabelSelector(matchLabels: [VeleroLabels.backupName: RestoreMetadata.validLabelValue(backup)]
        )
        let others = try await client.list(
            DeleteBackupRequest.resource,
            namespace: namespace,
            options: ListOptions(labelSelector: selector)
        ).items
        for other in others where other.name != name {
            do {
                _ = try await client.delete(DeleteBackupRequest.resource, namespace: namespace, name: other.name ?? "")
                logger.info("deletion request '\(other.name ?? "")' removed.")
            } catch let error as KubeError where error.code == .notFound {
                continue
            }
        }
    }

    /// After a successful deletion every request labelled with the backup's name and uid goes, this one too.
    private func deleteAllRequests(of backup: Backup, namespace: String) async throws {
        let selector = try LabelSelector(matchLabels: [
            VeleroLabels.backupName: RestoreMetadata.validLabelValue(backup.name),
            VeleroLabels.backupUID: backup.metadata.uid ?? "",
        ])
        let requests = try await client.list(
            DeleteBackupRequest.resource,
            namespace: namespace,
            options: ListOptions(labelSelector: selector)
        ).items
        for request in requests {
            _ = try? await client.delete(DeleteBackupRequest.resource, namespace: namespace, name: request.name ?? "")
        }
    }
}
