package import BackupEngine
package import Foundation
package import Kubernetes
package import Logging
import VeleroAPI

/// The BackupSync controller's reconcile (Velero's `backupSyncReconciler`), per BackupStorageLocation: when
/// ``BackupSyncDecision`` says the location is due, the backups it holds that the cluster lacks become Backup
/// objects in the server's namespace, the cluster's `Completed`/`PartiallyFailed` Backups of that location that it
/// no longer holds are deleted, and `status.lastSyncedTime` is recorded.
///
/// Synced Backups keep an owner reference to a Schedule only when that Schedule exists with the same uid; the
/// PodVolumeBackups the location recorded for them are created too, owned by them.
package struct BackupSyncReconciler: Reconciler {
    let client: KubeClient
    let locations: StorageLocations
    let defaultPeriod: Duration
    let now: @Sendable () -> Date
    let logger: Logger

    /// - Parameters:
    ///   - client: the API client.
    ///   - locations: the locations of the install namespace (the server's namespace) and their stores.
    ///   - defaultPeriod: `--backup-sync-period` (Velero takes 1m for zero or less).
    ///   - now: the time source.
    ///   - logger: where syncs are logged.
    package init(
        client: KubeClient,
        locations: StorageLocations,
        defaultPeriod: Duration,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.client = client
        self.locations = locations
        self.defaultPeriod = defaultPeriod > .zero ? defaultPeriod : .seconds(60)
        self.now = now
        self.logger = logger
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        let namespace = locations.namespace
        let location: BackupStorageLocation
        do {
            let object = try await client.get(BackupStorageLocation.resource, namespace: namespace, name: key.name)
            location = try object.value.decode(as: BackupStorageLocation.self)
        } catch let error as KubeError where error.code == .notFound {
            return ReconcileResult()
        }
        let (due, requeueAfter) = BackupSyncDecision.schedule(location, defaultPeriod: defaultPeriod, now: now())
        guard due else { return ReconcileResult(requeueAfter: requeueAfter) }
        var logger = self.logger
        logger[metadataKey: "backupLocation"] = "\(namespace)/\(key.name)"

        let store: BackupStore
        let inStore: [String]
        do {
            store = try await locations.store(for: location)
            inStore = try await store.backupNames()
        } catch {
            logger.info("Error listing backups in backup store: \(error)")
            return ReconcileResult(requeueAfter: requeueAfter)
        }
        let inCluster = try await client.list(Backup.resource, namespace: namespace).items
        let missing = BackupSyncDecision.missing(inStore: inStore, inCluster: Set(inCluster.compactMap(\.name)))
        if !missing.isEmpty {
            logger.info(
                "Found \(missing.count) backups in the backup location that do not exist in the cluster and need to be synced"
            )
        }
        for name in missing {
            await sync(name, from: store, location: key.name, namespace: namespace, logger: logger)
        }

        let labelled = inCluster.filter {
            $0.labels[VeleroLabels.storageLocation] == RestoreMetadata.validLabelValue(key.name)
        }.compactMap { try? $0.value.decode(as: Backup.self) }
        for name in BackupSyncDecision.orphans(labelled, inStore: inStore) {
            do {
                _ = try await client.delete(Backup.resource, namespace: namespace, name: name)
                logger.info("Deleted orphaned backup from cluster", metadata: ["backup": "\(name)"])
            } catch let error as KubeError where error.code == .notFound {
                continue
            } catch {
                logger.info("Error deleting orphaned backup \(name) from cluster: \(error)")
            }
        }

        let synced = Timestamps.format(now())
        try await client.changeStatus(BackupStorageLocation.resource, namespace: namespace, name: key.name) { live in
            var status = live.status?.objectValue ?? [:]
            status["lastSyncedTime"] = .string(synced)
            live.status = .object(status)
            return true
        }
        return ReconcileResult(requeueAfter: requeueAfter)
    }

    /// Creates the Backup `name` of the location in the cluster (problems are logged; the next sync retries).
    private func sync(
        _ name: String,
        from store: BackupStore,
        location: String,
        namespace: String,
        logger: Logger
    )
        async
    {
        let read: Backup?
        do {
            read = try await store.backup(named: name)
        } catch {
            logger.info("Error getting backup metadata from backup store: \(error)", metadata: ["backup": "\(name)"])
            return
        }
        guard let read else { return }  // Not (yet) complete in the location.
        guard var backup = BackupSyncDecision.synced(read, location: location, namespace: namespace, now: now()) else {
            logger.debug("Skipping non-expired incomplete backup \(name)")
            return
        }
        backup.metadata.ownerReferences = await ownerReferences(of: backup, namespace: namespace, logger: logger)
        do {
            guard let body = KubeObject(try BackupStore.kubernetesJSON(backup)) else { return }
            let created = try await client.create(Backup.resource, namespace: namespace, body)
            if created.status?["phase"] == nil, let status = body.status {
                // A CRD with a status subresource drops the status of a create: write it.
                var written = created
                written.status = status
                _ = try await client.writeStatus(Backup.resource, namespace: namespace, written)
            }
            logger.info("Successfully synced backup into cluster", metadata: ["backup": "\(name)"])
            await syncPodVolumeBackups(
                of: name,
                uid: created.uid ?? "",
                from: store,
                location: location,
                logger: logger
            )
        } catch let error as KubeError where error.code == .alreadyExists {
            logger.debug("Backup already exists in cluster", metadata: ["backup": "\(name)"])
        } catch {
            logger.info("Error syncing backup into cluster: \(error)", metadata: ["backup": "\(name)"])
        }
    }

    /// Creates the PodVolumeBackups the location recorded for backup `name` (its `podvolumebackups.json.gz`) in the
    /// server's namespace, owned by the synced Backup (`uid`), as Velero's sync does.
    private func syncPodVolumeBackups(
        of name: String,
        uid: String,
        from store: BackupStore,
        location: String,
        logger: Logger
    ) async {
        let namespace = locations.namespace
        let podVolumeBackups: [PodVolumeBackup]
        do {
            podVolumeBackups = try await BackupPodVolumes.load(
                store: store,
                backup: name,
                client: nil,
                namespace: namespace
            ).podVolumeBackups
        } catch {
            logger.info("Error getting pod volume backups for this backup from backup store: \(error)")
            return
        }
        for var pvb in podVolumeBackups {
            pvb.metadata.ownerReferences = pvb.metadata.ownerReferences?.map { reference in
                var reference = reference
                if reference.kind == Backup.kindInfo.kind && reference.name == name { reference.uid = uid }
                return reference
            }
            if pvb.metadata.labels?[VeleroLabels.backupUID] != nil {
                pvb.metadata.labels?[VeleroLabels.backupUID] = uid
            }
            pvb.metadata.namespace = namespace
            pvb.metadata.resourceVersion = nil
            pvb.metadata.uid = nil
            pvb.spec.backupStorageLocation = location
            do {
                guard let body = KubeObject(try BackupStore.kubernetesJSON(pvb)) else { continue }
                let created = try await client.create(PodVolumeBackup.resource, namespace: namespace, body)
                if created.status?["phase"] == nil, let status = body.status {
                    var written = created
                    written.status = status
                    _ = try await client.writeStatus(PodVolumeBackup.resource, namespace: namespace, written)
                }
            } catch let error as KubeError where error.code == .alreadyExists {
                continue
            } catch {
                logger.info("Error syncing pod volume backup \(pvb.name) into cluster: \(error)")
            }
        }
    }

    /// Velero's `filterBackupOwnerReferences`: Schedule owners that do not exist here with the same uid are dropped.
    private func ownerReferences(
        of backup: Backup,
        namespace: String,
        logger: Logger
    ) async -> [VeleroAPI.OwnerReference]? {
        guard let references = backup.metadata.ownerReferences else { return nil }
        var kept: [VeleroAPI.OwnerReference] = []
        for reference in references {
            if reference.kind == Schedule.kindInfo.kind {
                do {
                    let schedule = try await client.get(Schedule.resource, namespace: namespace, name: reference.name)
                    guard schedule.uid == reference.uid else {
                        logger.info("Removing schedule ownership reference with mismatched UIDs")
                        continue
                    }
                } catch let error as KubeError where error.code == .notFound {
                    logger.info(
                        "Removing missing schedule ownership reference \(namespace)/\(reference.name) from backup"
                    )
                    continue
                } catch {
                    logger.info("Error finding schedule ownership reference, keeping schedule on backup")
                }
            }
            kept.append(reference)
        }
        return kept.isEmpty ? nil : kept
    }
}
