import Foundation
package import Kubernetes
package import Logging
import VeleroAPI
import VolumeRepository

/// `lifeboat pod-volume restore`: restores a PodVolumeRestore's snapshot into the new pod's volume folder, then
/// writes Velero's completion mark `.velero/<restore uid>` there so that the pod's `restore-wait` init container
/// ends (Velero 1.18's `RestoreMicroService` with Velero's restic uploader).
///
/// The snapshot is read from the repository of `spec.sourceNamespace` (the backed-up namespace) in
/// `spec.backupStorageLocation`; contents, modes, mtimes, symlinks and ownership (as root) are restored.
///
/// ```swift
/// let outcome = await PodVolumeRestoreService(client: client, configuration: configuration, logger: logger).run()
/// ```
package struct PodVolumeRestoreService: Sendable {
    package let client: KubeClient
    package let configuration: PodVolumeDataMover.Configuration
    package let logger: Logger

    package init(client: KubeClient, configuration: PodVolumeDataMover.Configuration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// The folder inside a restored volume that holds the completion marks (Velero's `.velero`).
    package static let markFolder = ".velero"

    /// Runs the micro-service to its end: see ``DataPathDriver`` for the Events and messages.
    package func run() async -> DataPathOutcome {
        let driver = DataPathDriver(client: client, configuration: configuration, kind: .restore, logger: logger)
        return await driver.run { load in try await self.prepare(load) }
    }

    /// Checks the uploader and opens the repository (Velero's `Init`).
    private func prepare(_ load: KubeObject) async throws -> DataPathJob {
        let pvr = try load.value.decode(as: PodVolumeRestore.self)
        let pod = pvr.spec.pod
        try UploaderTypes.check(
            pvr.spec.uploaderType,
            volume: "\(pod.namespace ?? "")/\(pod.name ?? "")/\(pvr.spec.volume)"
        )
        let access = PodVolumeRepositoryAccess(client: client, configuration: configuration, logger: logger)
        let opened = try await access.open(
            locationName: pvr.spec.backupStorageLocation,
            volumeNamespace: pvr.spec.sourceNamespace
        )
        let progress = VolumeRepository.BackupProgress()
        let total = Int64(clamping: max(0, pvr.spec.snapshotSize ?? 0))
        return DataPathJob(
            progress: {
                let done = Int64(clamping: progress.counts.bytes)
                return DataPathProgressMessage(totalBytes: max(total, done), doneBytes: done)
            },
            companion: nil,
            run: { try await self.restore(pvr, from: opened.repository, progress: progress) }
        )
    }

    /// Restores the snapshot and writes the completion mark; returns the result JSON.
    private func restore(
        _ pvr: PodVolumeRestore,
        from repository: Repository,
        progress: VolumeRepository.BackupProgress
    ) async throws -> String {
        let options = RestoreOptions(
            snapshot: pvr.spec.snapshotID,
            target: configuration.volumePath,
            progress: progress
        )
        let summary = try await repository.restore(options, logger: logger)
        guard summary.isComplete else {
            let shown = PodVolumeDataMover.describe(summary.errors)
            throw BackupEngineError(
                code: .corruptBackup,
                message: "\(summary.errors.count) item(s) of snapshot \(summary.snapshotID.short) could not be "
                    + "restored into \(configuration.volumePath): \(shown)"
            )
        }
        do {
            try Self.writeCompletionMark(volumePath: configuration.volumePath, restoreUID: Self.restoreUID(of: pvr))
        } catch {
            // As Velero: a warning only (the restored pod may then fail to start).
            logger.info(
                "failed to write completion mark, restored pod may fail to start",
                metadata: ["error": "\(error)"]
            )
        }
        let result = DataPathRestoreResult(
            target: DataPathAccessPoint(
                byPath: configuration.volumePath,
                volumeMode: PodVolumeDataMover.filesystemMode
            ),
            totalBytes: Int64(clamping: summary.bytes)
        )
        return DataPathJSON.restoreResult(result)
    }

    /// The restore's uid: the first owner reference's (Velero's `pvr.OwnerReferences[0].UID`).
    static func restoreUID(of pvr: PodVolumeRestore) throws -> String {
        // The Restore's UID: its owner reference (Velero's rule), else the `velero.io/restore-uid` label that a
        // direct-mode restore sets when it could not record the Restore (and so names no owner).
        let owner = pvr.metadata.ownerReferences?.first?.uid
        guard let uid = owner ?? pvr.metadata.labels?[VeleroLabels.restoreUID], !uid.isEmpty else {
            throw BackupEngineError(code: .invalidSpec, message: "error finding restore UID")
        }
        return uid
    }

    /// Velero's `writeCompletionMark`: removes `<volume>/.velero` (marks of earlier restores), then writes the
    /// empty file `<volume>/.velero/<restore uid>` (folder mode 0755, file mode 0644).
    static func writeCompletionMark(volumePath: String, restoreUID: String) throws {
        let folder = URL(fileURLWithPath: volumePath).appendingPathComponent(markFolder)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(
            at: folder,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        let mark = folder.appendingPathComponent(restoreUID).path
        guard FileManager.default.createFile(atPath: mark, contents: nil, attributes: [.posixPermissions: 0o644]) else {
            throw BackupEngineError(code: .invalidSpec, message: "error writing done file \(mark)")
        }
    }
}
