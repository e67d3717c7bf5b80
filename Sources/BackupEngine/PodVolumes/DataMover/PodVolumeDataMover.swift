import Foundation
package import ObjectStorage
import VeleroAPI
package import VolumeRepository

/// Lifeboat's counterpart of Velero 1.18's data-path micro-service (`velero pod-volume backup|restore`): the
/// program a node agent's hosting pod runs for one PodVolumeBackup or PodVolumeRestore (the *load*).
///
/// It waits until the node agent has set the load `InProgress`, runs the data path against the volume folder and
/// the restic-format repository of the load's backup storage location, reports through Events on the load
/// (``DataPathMessages``), honours `spec.cancel`, and ends by writing its outcome to the termination log.
/// ``PodVolumeBackupService`` and ``PodVolumeRestoreService`` are the two flavours.
package enum PodVolumeDataMover {
    /// What one run needs: which load, which volume folder, and how to reach the repository.
    package struct Configuration: Sendable {
        /// The install namespace, where the load lives.
        package var namespace: String
        /// The node the hosting pod runs on (`NODE_NAME`; recorded as the Events' source host).
        package var nodeName: String
        /// The PodVolumeBackup or PodVolumeRestore name.
        package var loadName: String
        /// The volume folder (`--volume-path`, `/<load uid>` in the hosting pod).
        package var volumePath: String
        /// How long to wait for the load to be `InProgress` (`--resource-timeout`).
        package var resourceTimeout: Duration
        /// How often `Data-Path-Progress` is recorded while the data path runs.
        package var progressInterval: Duration
        /// Where the outcome is written (nil: nowhere).
        package var terminationLogPath: String?
        /// Builds the backup storage location's stores.
        package var objectStoreFactory: ObjectStoreFactory
        /// A decorator over the repository's store (tests inject faults or delays; default: none).
        package var wrapStore: @Sendable (any ObjectStore) -> any ObjectStore
        /// How the repository writes (pack size, compression, parallelism).
        package var repository: Repository.Configuration

        package init(
            namespace: String,
            nodeName: String,
            loadName: String,
            volumePath: String,
            resourceTimeout: Duration = .seconds(600),
            progressInterval: Duration = .seconds(1),
            terminationLogPath: String? = DataPathMessages.terminationLogPath,
            objectStoreFactory: ObjectStoreFactory = ObjectStoreFactory(environment: [:]),
            wrapStore: @escaping @Sendable (any ObjectStore) -> any ObjectStore = { $0 },
            repository: Repository.Configuration = .init()
        ) {
            self.namespace = namespace
            self.nodeName = nodeName
            self.loadName = loadName
            self.volumePath = volumePath
            self.resourceTimeout = resourceTimeout
            self.progressInterval = progressInterval
            self.terminationLogPath = terminationLogPath
            self.objectStoreFactory = objectStoreFactory
            self.wrapStore = wrapStore
            self.repository = repository
        }
    }

    /// The host name restic snapshots of pod volumes record (Velero's `--host=velero`), so that a recreated
    /// node-agent pod does not change it.
    package static let snapshotHost = "velero"

    /// The volume mode of a file-system data path (`datapath.AccessPoint.volumeMode`).
    package static let filesystemMode = "Filesystem"
}

/// How a data-path run ended: the message written to the termination log and the exit status.
package struct DataPathOutcome: Sendable, Hashable {
    /// True when the data path completed (the message is the result JSON).
    package var succeeded: Bool
    /// The result JSON, or the error (a canceled run's ends with ``DataPathMessages/canceledMessageSuffix``).
    package var message: String

    package init(succeeded: Bool, message: String) {
        self.succeeded = succeeded
        self.message = message
    }

    /// 0 on success, 1 otherwise (Velero's `ExitPodWithMessage`).
    package var exitCode: Int32 { succeeded ? 0 : 1 }

    /// Writes ``message`` to `path` (created or truncated); false when it could not be written.
    package func writeTerminationLog(to path: String?) -> Bool {
        guard let path else { return true }
        do {
            try Data(message.utf8).write(to: URL(fileURLWithPath: path))
            return true
        } catch {
            return false
        }
    }
}
