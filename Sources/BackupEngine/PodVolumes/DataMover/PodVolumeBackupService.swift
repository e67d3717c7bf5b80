import Foundation
package import Kubernetes
package import Logging
import VeleroAPI
import VolumeRepository

/// `lifeboat pod-volume backup`: backs up one pod volume folder for a PodVolumeBackup into the restic-format
/// repository of its namespace (Velero 1.18's `BackupMicroService` with Velero's restic uploader).
///
/// The snapshot holds the volume's contents at its root (restic's `backup .` in the folder), records the folder
/// as its path, `velero` as its host and the PodVolumeBackup's `spec.tags` as `key=value` tags. Its parent is
/// the most recent Completed PodVolumeBackup of the same PVC in the same location (Velero's `getParentSnapshot`).
///
/// ```swift
/// let service = PodVolumeBackupService(client: client, configuration: configuration, logger: logger)
/// let outcome = await service.run()   // also written to the termination log
/// exit(outcome.exitCode)
/// ```
package struct PodVolumeBackupService: Sendable {
    package let client: KubeClient
    package let configuration: PodVolumeDataMover.Configuration
    package let logger: Logger

    package init(client: KubeClient, configuration: PodVolumeDataMover.Configuration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs the micro-service to its end: see ``DataPathDriver`` for the Events and messages.
    package func run() async -> DataPathOutcome {
        let driver = DataPathDriver(client: client, configuration: configuration, kind: .backup, logger: logger)
        return await driver.run { load in try await self.prepare(load) }
    }

    /// Opens the repository and finds the parent snapshot (Velero's `Init`).
    private func prepare(_ load: KubeObject) async throws -> DataPathJob {
        let pvb = try load.value.decode(as: PodVolumeBackup.self)
        let pod = pvb.spec.pod
        try UploaderTypes.check(
            pvb.spec.uploaderType,
            volume: "\(pod.namespace ?? "")/\(pod.name ?? "")/\(pvb.spec.volume)"
        )
        let access = PodVolumeRepositoryAccess(client: client, configuration: configuration, logger: logger)
        let opened = try await access.open(
            locationName: pvb.spec.backupStorageLocation,
            volumeNamespace: pod.namespace ?? ""
        )
        let parent = await parentSnapshot(of: pvb, in: opened.repository)
        let progress = VolumeRepository.BackupProgress()
        let volumePath = configuration.volumePath
        return DataPathJob(
            progress: { Self.progressMessage(progress.counts) },
            companion: { progress.scan(paths: [volumePath], excludes: [], shouldStop: { Task.isCancelled }) },
            run: { try await self.backUp(pvb, into: opened.repository, parent: parent, progress: progress) }
        )
    }

    /// The progress event's counters: bytes read (or found unchanged) of the bytes the scan found so far.
    static func progressMessage(_ counts: VolumeRepository.BackupProgress.Counts) -> DataPathProgressMessage {
        DataPathProgressMessage(
            totalBytes: Int64(clamping: max(counts.totalBytes, counts.bytes)),
            doneBytes: Int64(clamping: counts.bytes)
        )
    }

    /// Backs the volume folder up; returns the result JSON.
    private func backUp(
        _ pvb: PodVolumeBackup,
        into repository: Repository,
        parent: String?,
        progress: VolumeRepository.BackupProgress
    ) async throws -> String {
        let source = DataPathAccessPoint(
            byPath: configuration.volumePath,
            volumeMode: PodVolumeDataMover.filesystemMode
        )
        if try VolumeFolder.isEmpty(configuration.volumePath) {
            return DataPathJSON.backupResult(DataPathBackupResult(snapshotID: "", emptySnapshot: true, source: source))
        }
        let options = BackupOptions(
            paths: ["."],
            tags: Self.tags(pvb.spec.tags ?? [:]),
            hostname: PodVolumeDataMover.snapshotHost,
            parent: parent,
            progress: progress,
            workingDirectory: configuration.volumePath
        )
        let summary = try await repository.backup(options, logger: logger)
        guard summary.isComplete else {
            let shown = PodVolumeDataMover.describe(summary.errors)
            throw BackupEngineError(
                code: .invalidSpec,
                message: "\(summary.errors.count) item(s) of \(configuration.volumePath) could not be read: \(shown)"
            )
        }
        let result = DataPathBackupResult(
            snapshotID: summary.snapshotID.hex,
            source: source,
            totalBytes: Int64(clamping: summary.totalBytes),
            incrementalBytes: Int64(clamping: summary.dataAddedPacked)
        )
        return DataPathJSON.backupResult(result)
    }

    /// restic `--tag=key=value` for each of `spec.tags`, sorted (Velero passes them in map order).
    static func tags(_ tags: [String: String]) -> [String] {
        tags.map { "\($0.key)=\($0.value)" }.sorted()
    }
}
