package import Logging
import ObjectStorage
import VeleroAPI
import VolumeRepository

/// Repository maintenance of one volume namespace's restic-format repository (`<prefix>/restic/<namespace>` of a
/// location): opened with the repositories' password (Velero's static one for repositories that predate the
/// Secret), then pruned under the exclusive lock — unused packs deleted, partly used ones repacked, what killed
/// writers left behind removed. It is what Velero's repository maintenance job does to a restic repository.
package struct PodVolumeRepositoryMaintainer: Sendable {
    /// What one maintenance run did.
    package struct Result: Sendable, Hashable {
        package var packsDeleted: Int
        package var packsRepacked: Int
        package var bytesFreed: Int

        /// One line for `status.recentMaintenance[].message`.
        package var message: String {
            "pruned: \(packsDeleted) pack(s) deleted, \(packsRepacked) repacked, \(bytesFreed) bytes freed"
        }
    }

    package let store: BackupStore
    package let password: String
    package let logger: Logger

    package init(store: BackupStore, password: String, logger: Logger) {
        self.store = store
        self.password = password
        self.logger = logger
    }

    /// Prunes the repository of `volumeNamespace`.
    /// - Throws: when the repository cannot be opened (no repository, a wrong password) or is locked by another
    ///   process, or the store fails.
    package func maintain(volumeNamespace: String) async throws -> Result {
        let repository = try await store.openPodVolumeRepository(
            volumeNamespace: volumeNamespace,
            password: password,
            logger: logger
        )
        let summary = try await repository.prune(logger: logger)
        return Result(
            packsDeleted: summary.packsDeleted + summary.unreferencedPacksDeleted,
            packsRepacked: summary.packsRepacked,
            bytesFreed: summary.bytesFreed
        )
    }
}

extension BackupStore {
    /// Opens the restic-format repository of `volumeNamespace` in this location with `password`, or with Velero's
    /// static password when the repository was created before Velero kept one in the Secret.
    func openPodVolumeRepository(volumeNamespace: String, password: String, logger: Logger) async throws -> Repository {
        let prefix = layout.resticRepository(volumeNamespace: volumeNamespace)
        do {
            return try await Repository.open(store: store, prefix: prefix, password: password, logger: logger)
        } catch let error as RepositoryError where error.code == .wrongPassword {
            return try await Repository.open(
                store: store,
                prefix: prefix,
                password: PodVolumeRepositories.veleroStaticPassword,
                logger: logger
            )
        }
    }
}
