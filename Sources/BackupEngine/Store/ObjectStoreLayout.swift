import VeleroAPI

/// Velero's object-store layout under a backup storage location's prefix
/// (`pkg/persistence/object_store_layout.go`): every key Lifeboat reads or writes.
///
/// ```swift
/// let layout = ObjectStoreLayout(prefix: "cluster-a")
/// layout.backupMetadata("nightly")   // "cluster-a/backups/nightly/velero-backup.json"
/// ```
package struct ObjectStoreLayout: Sendable, Hashable {
    /// The top-level folders Velero allows under a prefix; anything else makes a location invalid.
    package static let topLevelFolders: Set<String> = ["backups", "restores", "restic", "metadata", "plugins", "kopia"]

    /// The prefix with surrounding slashes trimmed; empty for none.
    package let prefix: String

    package init(prefix: String?) {
        var trimmed = Substring(prefix ?? "")
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        self.prefix = String(trimmed)
    }

    /// `key` below the prefix.
    package func key(_ path: String) -> String { prefix.isEmpty ? path : prefix + "/" + path }

    /// The folder listed to find backups: `<prefix>/backups/`.
    package var backupsFolder: String { key("backups/") }
    /// The folder listed to find restores: `<prefix>/restores/`.
    package var restoresFolder: String { key("restores/") }

    package func backupFolder(_ backup: String) -> String { key("backups/\(backup)/") }
    package func backupMetadata(_ backup: String) -> String { key("backups/\(backup)/velero-backup.json") }
    /// Lifeboat's claim on a backup name while a run writes it (removed once `velero-backup.json` is written;
    /// Velero ignores files it does not know in a backup folder).
    package func backupClaim(_ backup: String) -> String { key("backups/\(backup)/lifeboat-claim.json") }
    package func backupContents(_ backup: String) -> String { key("backups/\(backup)/\(backup).tar.gz") }
    package func backupLog(_ backup: String) -> String { key("backups/\(backup)/\(backup)-logs.gz") }
    package func backupResults(_ backup: String) -> String { key("backups/\(backup)/\(backup)-results.gz") }
    package func backupResourceList(_ backup: String) -> String {
        key("backups/\(backup)/\(backup)-resource-list.json.gz")
    }
    package func backupVolumeSnapshots(_ backup: String) -> String {
        key("backups/\(backup)/\(backup)-volumesnapshots.json.gz")
    }
    package func backupPodVolumeBackups(_ backup: String) -> String {
        key("backups/\(backup)/\(backup)-podvolumebackups.json.gz")
    }
    package func backupItemOperations(_ backup: String) -> String {
        key("backups/\(backup)/\(backup)-itemoperations.json.gz")
    }
    package func backupVolumeInfo(_ backup: String) -> String { key("backups/\(backup)/\(backup)-volumeinfo.json.gz") }

    package func restoreFolder(_ restore: String) -> String { key("restores/\(restore)/") }
    package func restoreLog(_ restore: String) -> String { key("restores/\(restore)/restore-\(restore)-logs.gz") }
    package func restoreResults(_ restore: String) -> String {
        key("restores/\(restore)/restore-\(restore)-results.gz")
    }
    package func restoreResourceList(_ restore: String) -> String {
        key("restores/\(restore)/restore-\(restore)-resource-list.json.gz")
    }
    package func restoreItemOperations(_ restore: String) -> String {
        key("restores/\(restore)/restore-\(restore)-itemoperations.json.gz")
    }
    package func restoreVolumeInfo(_ restore: String) -> String {
        key("restores/\(restore)/\(restore)-volumeinfo.json.gz")
    }

    package func backupCSIVolumeSnapshots(_ backup: String) -> String {
        key("backups/\(backup)/\(backup)-csi-volumesnapshots.json.gz")
    }
    package func backupCSIVolumeSnapshotContents(_ backup: String) -> String {
        key("backups/\(backup)/\(backup)-csi-volumesnapshotcontents.json.gz")
    }

    /// The object a DownloadRequest's target names (Velero's `GetDownloadURL`); nil for a kind Velero does not
    /// know. `name` is the backup's for backup targets, the restore's for restore targets.
    package func downloadTarget(kind: String, name: String) -> String? {
        switch kind {
        case DownloadTargetKind.backupContents: backupContents(name)
        case DownloadTargetKind.backupLog: backupLog(name)
        case DownloadTargetKind.backupVolumeSnapshots: backupVolumeSnapshots(name)
        case DownloadTargetKind.backupItemOperations: backupItemOperations(name)
        case DownloadTargetKind.backupResourceList: backupResourceList(name)
        case DownloadTargetKind.backupResults: backupResults(name)
        case DownloadTargetKind.csiBackupVolumeSnapshots: backupCSIVolumeSnapshots(name)
        case DownloadTargetKind.csiBackupVolumeSnapshotContents: backupCSIVolumeSnapshotContents(name)
        case DownloadTargetKind.backupVolumeInfos: backupVolumeInfo(name)
        case DownloadTargetKind.restoreLog: restoreLog(name)
        case DownloadTargetKind.restoreResults: restoreResults(name)
        case DownloadTargetKind.restoreResourceList: restoreResourceList(name)
        case DownloadTargetKind.restoreItemOperations: restoreItemOperations(name)
        case DownloadTargetKind.restoreVolumeInfo: restoreVolumeInfo(name)
        default: nil
        }
    }

    /// Where Velero keeps a legacy restic repository for a volume namespace.
    package func resticRepository(volumeNamespace: String) -> String { key("restic/\(volumeNamespace)") }
}
