import Foundation
package import Kubernetes
package import Logging
import ObjectStorage
import VeleroAPI

/// Deletes one backup's data: its pod volume snapshots (forgotten in their repositories, the backup's
/// PodVolumeBackups removed from the cluster) and its objects in the location. Shared by `lifeboat backup delete`
/// (direct mode) and the server's DeleteBackupRequest controller (Velero's `backupDeletionReconciler`).
///
/// ```swift
/// let deletion = BackupDeletion(client: client, namespace: "velero", store: store, backup: "b1", logger: logger)
/// let volumes = await deletion.forgetPodVolumeSnapshots()
/// if volumes.problems.isEmpty { _ = try await deletion.deleteFromLocation() }
/// ```
package struct BackupDeletion: Sendable {
    /// What forgetting the pod volume snapshots did.
    package struct VolumeOutcome: Sendable, Hashable {
        /// How many repository snapshots were forgotten.
        package var forgotten = 0
        /// Snapshots or PodVolumeBackups left in place and why.
        package var problems: [String] = []
    }

    package let client: KubeClient
    /// The install namespace (PodVolumeBackups, the repository password Secret).
    package let namespace: String
    /// The backup's location.
    package let store: BackupStore
    /// The backup's name.
    package let backup: String
    package let logger: Logger

    package init(client: KubeClient, namespace: String, store: BackupStore, backup: String, logger: Logger) {
        self.client = client
        self.namespace = namespace
        self.store = store
        self.backup = backup
        self.logger = logger
    }

    /// Forgets the snapshots of the backup's PodVolumeBackups (those in the cluster, else those the location
    /// recorded) in their repositories and deletes the PodVolumeBackups from the cluster (Velero's
    /// `deletePodVolumeSnapshots`). The data only they used stays until repository maintenance prunes it.
    package func forgetPodVolumeSnapshots() async -> VolumeOutcome {
        var outcome = VolumeOutcome()
        let inCluster = await BackupPodVolumes.inCluster(client: client, namespace: namespace, backup: backup)
        var podVolumeBackups = inCluster
        if podVolumeBackups.isEmpty {
            do {
                podVolumeBackups = try await BackupPodVolumes.load(
                    store: store,
                    backup: backup,
                    client: nil,
                    namespace: namespace
                ).podVolumeBackups
            } catch {
                outcome.problems.append("could not read the pod volume backups of backup \(backup): \(error)")
            }
        }
        guard !podVolumeBackups.isEmpty else { return outcome }
        let password: String?
        do {
            password = try await PodVolumeRepositories.password(client: client, namespace: namespace)
        } catch {
            outcome.problems.append("could not read the repository password: \(error)")
            password = nil
        }
        let forgotten = await PodVolumeSnapshotForgetter(
            store: store,
            password: password,
            namespace: namespace,
            logger: logger
        ).forget(podVolumeBackups, backup: backup)
        outcome.forgotten = forgotten.count
        outcome.problems += forgotten.warnings
        for pvb in inCluster {
            do {
                _ = try await client.delete(PodVolumeBackup.resource, namespace: namespace, name: pvb.name)
            } catch let error as KubeError where error.code == .notFound {
                continue
            } catch {
                outcome.problems.append("could not delete PodVolumeBackup \(namespace)/\(pvb.name): \(error)")
            }
        }
        return outcome
    }

    /// Deletes the files of restore `restore` in the location (`restores/<restore>/`: its log, results, resource
    /// list), what Velero's restore finalizer removes when a Restore of a deleted backup is deleted.
    /// - Returns: how many objects were deleted.
    @discardableResult
    package func deleteRestoreRecords(_ restore: String) async throws -> Int {
        try await store.deleteRestore(restore)
    }

    /// Deletes every object of the backup in the location (its metadata first, so it stops being visible).
    /// - Returns: how many objects were deleted.
    @discardableResult
    package func deleteFromLocation() async throws -> Int {
        try await store.deleteBackup(backup)
    }
}
