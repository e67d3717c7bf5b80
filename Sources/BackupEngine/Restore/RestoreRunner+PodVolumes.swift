import Foundation
import Kubernetes
import VeleroAPI

extension RestoreRunner {
    /// The restorer of the backup's pod volume data, or `nil` when there is none to restore: the backup has no
    /// PodVolumeBackups, or the restore leaves out PersistentVolumeClaims or PersistentVolumes (Velero then creates
    /// no PodVolumeRestores; Lifeboat adds no `restore-wait` either, so such pods do not wait forever).
    func podVolumeRestorer(
        restore: Restore,
        backup: Backup,
        backups: BackupPodVolumes,
        selection: RestoreSelection,
        recorded: Bool,
        log: RunLog
    ) async -> PodVolumeRestorer? {
        guard !backups.isEmpty, selection.resources.shouldInclude("persistentvolumeclaims"),
            selection.resources.shouldInclude("persistentvolumes")
        else { return nil }
        let name = restore.name
        // The UID the helper waits for and the owner reference: the recorded Restore's, when there is one.
        var owner: VeleroAPI.OwnerReference?
        var uid = restore.metadata.uid ?? ""
        if recorded, let live = try? await client.get(Restore.resource, namespace: configuration.namespace, name: name),
            let liveUID = live.uid, !liveUID.isEmpty
        {
            uid = liveUID
            owner = VeleroAPI.OwnerReference(
                apiVersion: Restore.kindInfo.apiVersion,
                kind: Restore.kindInfo.kind,
                name: name,
                uid: liveUID,
                controller: true
            )
        }
        if uid.isEmpty { uid = UUID().uuidString.lowercased() }
        var timeout = configuration.podVolumeOperationTimeout
        if let text = restore.metadata.annotations?[VeleroAnnotations.podVolumeTimeout] {
            if let parsed = GoDuration.parse(text) {
                timeout = parsed
            } else {
                log.warning(
                    "invalid \(VeleroAnnotations.podVolumeTimeout) annotation \(text.debugDescription); using \(timeout)"
                )
            }
        }
        let location = backup.spec.storageLocation ?? backup.metadata.labels?[VeleroLabels.storageLocation]
        return PodVolumeRestorer(
            client: client,
            backups: backups,
            configuration: PodVolumeRestorer.Configuration(
                namespace: configuration.namespace,
                restoreName: name,
                restoreUID: uid,
                owner: owner,
                backupStorageLocation: location.flatMap { $0.isEmpty ? nil : $0 },
                uploaderSettings: restore.spec.uploaderConfig.map(Self.uploaderSettings),
                timeout: timeout,
                dryRun: configuration.dryRun
            ),
            log: log
        )
    }

    /// Velero's `StoreRestoreConfig`: `WriteSparseFiles` (always) and `ParallelFilesDownload` (when positive).
    static func uploaderSettings(_ config: RestoreSpec.UploaderConfig) -> [String: String] {
        var settings = ["WriteSparseFiles": (config.writeSparseFiles ?? false) ? "true" : "false"]
        if let parallel = config.parallelFilesDownload, parallel > 0 {
            settings["ParallelFilesDownload"] = "\(parallel)"
        }
        return settings
    }
}
