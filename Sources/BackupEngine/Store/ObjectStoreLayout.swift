/// Velero's object-store layout under a backup storage location's prefix
/// (`pkg/persistence/object_store_layout.go`): every key Lifeboat reads or writes.
///
/// ```swift
/// let layout = ObjectStoreLayout(prefix: "cluster-a")
/// layout.backupMetadata("nightly")   // "cluster-a/backups/nightly/velero-backup.json"
/// ```
public struct ObjectStoreLayout: Sendable, Hashable {
    /// The top-level folders Velero allows under a prefix; anything else makes a location invalid.
    public static let topLevelFolders: Set<String> = ["backups", "restores", "restic", "metadata", "plugins", "kopia"]

    /// The prefix with surrounding slashes trimmed; empty for none.
    public let prefix: String

    public init(prefix: String?) {
        var trimmed = Substring(prefix ?? "")
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        self.prefix = String(trimmed)
    }

    /// `key` below the prefix.
    public func key(_ path: String) -> String { prefix.isEmpty ? path : prefix + "/" + path }

    /// The folder listed to find backups: `<prefix>/backups/`.
    public var backupsFolder: String { key("backups/") }
    /// The folder listed to find restores: `<prefix>/restores/`.
    public var restoresFolder: String { key("restores/") }

    public func backupFolder(_ backup: String) -> String { key("backups/\(backup)/") }
    public func backupMetadata(_ backup: String) -> String { key("backups/\(backup)/velero-backup.json") }
    /// Lifeboat's claim on a backup name while a run writes it (removed once `velero-backup.json` is written;
    /// Velero ignores files it does not know in a backup folder).
    public func backupClaim(_ backup: String) -> String { key("backups/\(backup)/lifeboat-claim.json") }
    public func backupContents(_ backup: String) -> String { key("backups/\(backup)/\(backup).tar.gz") }
    public func backupLog(_ backup: String) -> String { key("backups/\(backup)/\(backup)-logs.gz") }
    public func backupResults(_ backup: String) -> String { key("backups/\(backup)/\(backup)-results.gz") }
    public func backupResourceList(_ backup: String) -> String { key("backups/\(backup)/\(backup)-resource-list.json.gz") }
    public func backupVolumeSnapshots(_ backup: String) -> String { key("backups/\(backup)/\(backup)-volumesnapshots.json.gz") }
    public func backupPodVolumeBackups(_ backup: String) -> String { key("backups/\(backup)/\(backup)-podvolumebackups.json.gz") }
    public func backupItemOperations(_ backup: String) -> String { key("backups/\(backup)/\(backup)-itemoperations.json.gz") }
    public func backupVolumeInfo(_ backup: String) -> String { key("backups/\(backup)/\(backup)-volumeinfo.json.gz") }

    public func restoreFolder(_ restore: String) -> String { key("restores/\(restore)/") }
    public func restoreLog(_ restore: String) -> String { key("restores/\(restore)/restore-\(restore)-logs.gz") }
    public func restoreResults(_ restore: String) -> String { key("restores/\(restore)/restore-\(restore)-results.gz") }
    public func restoreResourceList(_ restore: String) -> String { key("restores/\(restore)/restore-\(restore)-resource-list.json.gz") }
    public func restoreItemOperations(_ restore: String) -> String { key("restores/\(restore)/restore-\(restore)-itemoperations.json.gz") }
    public func restoreVolumeInfo(_ restore: String) -> String { key("restores/\(restore)/\(restore)-volumeinfo.json.gz") }

    /// Where Velero keeps a legacy restic repository for a volume namespace.
    public func resticRepository(volumeNamespace: String) -> String { key("restic/\(volumeNamespace)") }
}
