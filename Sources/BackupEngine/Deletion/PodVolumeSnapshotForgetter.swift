import Foundation
package import Logging
import ObjectStorage
package import VeleroAPI
import VolumeRepository

/// Forgets the pod volume snapshots of a backup that is deleted (Velero's `deletePodVolumeSnapshots`): in the
/// repository of each volume namespace (`<prefix>/restic/<namespace>` of the backup's location), opened with the
/// repositories' password, the snapshot files of the backup's PodVolumeBackups are removed under an exclusive
/// lock. The data they alone referenced stays until the repository's maintenance prunes it, as in Velero.
///
/// ```swift
/// let outcome = await PodVolumeSnapshotForgetter(store: store, password: secret, logger: logger)
///     .forget(volumes.podVolumeBackups, backup: "b1")
/// ```
package struct PodVolumeSnapshotForgetter: Sendable {
    /// What forgetting did.
    package struct Outcome: Sendable, Hashable {
        /// Snapshot IDs removed, by volume namespace.
        package var forgotten: [String: [String]] = [:]
        /// Snapshots left in place and why (no password, a kopia uploader, a repository that cannot be opened).
        package var warnings: [String] = []

        /// How many snapshots were removed.
        package var count: Int { forgotten.values.reduce(0) { $0 + $1.count } }
    }

    /// The backup's location.
    package let store: BackupStore
    /// The password of `velero-repo-credentials`, or `nil` when the Secret or its key is missing.
    package let password: String?
    /// The install namespace (for messages).
    package let namespace: String
    package let logger: Logger

    /// A forgetter for repositories in `store`.
    package init(store: BackupStore, password: String?, namespace: String = "velero", logger: Logger) {
        self.store = store
        self.password = password
        self.namespace = namespace
        self.logger = logger
    }

    /// Removes the snapshots of `podVolumeBackups` (those with a snapshot ID) from their repositories.
    package func forget(_ podVolumeBackups: [PodVolumeBackup], backup: String) async -> Outcome {
        var outcome = Outcome()
        var byNamespace: [String: [String]] = [:]
        for pvb in podVolumeBackups {
            guard let id = pvb.status?.snapshotID, !id.isEmpty else { continue }
            let uploader = pvb.spec.uploaderType.flatMap { $0.isEmpty ? nil : $0 } ?? PodVolumeRepositories.uploaderType
            guard uploader == PodVolumeRepositories.uploaderType else {
                outcome.warnings.append(
                    "snapshot \(id) of \(pvb.spec.pod.namespace ?? "")/\(pvb.spec.pod.name ?? ""): "
                        + "\(pvb.spec.volume) was written by the \(uploader) uploader, whose repository Lifeboat "
                        + "cannot open; it stays in the repository"
                )
                continue
            }
            byNamespace[pvb.spec.pod.namespace ?? "", default: []].append(id)
        }
        guard !byNamespace.isEmpty else { return outcome }
        guard let password else {
            let count = byNamespace.values.reduce(0) { $0 + $1.count }
            outcome.warnings.append(
                "the repository password Secret \(namespace)/\(PodVolumeRepositories.passwordSecretName) (key "
                    + "\(PodVolumeRepositories.passwordSecretKey)) is missing: the \(count) pod volume snapshot"
                    + "\(count == 1 ? "" : "s") of backup \(backup) stay in their repositories "
                    + "(\(byNamespace.keys.sorted().map { PodVolumeRepositories.subpath(volumeNamespace: $0) }.joined(separator: ", ")))"
            )
            return outcome
        }
        for (volumeNamespace, ids) in byNamespace.sorted(by: { $0.key < $1.key }) {
            let prefix = store.layout.resticRepository(volumeNamespace: volumeNamespace)
            do {
                let removed = try await forget(ids, volumeNamespace: volumeNamespace, password: password)
                outcome.forgotten[volumeNamespace] = removed
            } catch {
                outcome.warnings.append(
                    "could not forget the snapshots \(ids.sorted().joined(separator: ", ")) of backup \(backup) in "
                        + "repository \(prefix): \(error)"
                )
            }
        }
        return outcome
    }

    /// Removes the snapshot files matching `ids` (full IDs or unique prefixes) from one repository.
    /// - Returns: the full IDs removed (snapshots already gone are skipped).
    private func forget(_ ids: [String], volumeNamespace: String, password: String) async throws -> [String] {
        let prefix = store.layout.resticRepository(volumeNamespace: volumeNamespace)
        let repository = try await store.openPodVolumeRepository(
            volumeNamespace: volumeNamespace,
            password: password,
            logger: logger
        )
        return try await repository.withLock(exclusive: true, logger: logger) {
            let snapshots = try await repository.snapshots()
            var removed: [String] = []
            for id in ids {
                let matches = snapshots.filter { $0.id.hex.hasPrefix(id.lowercased()) }
                guard matches.count == 1, let match = matches.first else {
                    logger.info("snapshot \(id) is not in repository \(prefix) (already forgotten)")
                    continue
                }
                try await repository.store.delete(repository.prefix + "snapshots/" + match.id.hex)
                removed.append(match.id.hex)
            }
            return removed
        }
    }
}
