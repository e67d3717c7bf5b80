/// What to back up and how (`lifeboat repo backup`).
public struct BackupOptions: Sendable {
    /// Files and directories to back up.
    public var paths: [String]
    public var tags: [String]
    /// Host name recorded in the snapshot (default: this host).
    public var hostname: String?
    /// Glob patterns (restic `--exclude` syntax: `*.log`, `/abs/dir`, `**/cache`).
    public var excludes: [String]
    /// Parent snapshot ID; `nil` picks the latest snapshot of the same host and paths.
    public var parent: String?
    /// Read every file even when the parent says it is unchanged.
    public var force: Bool
    /// Reports progress while the backup runs.
    public var progress: BackupProgress?

    public init(
        paths: [String], tags: [String] = [], hostname: String? = nil, excludes: [String] = [], parent: String? = nil,
        force: Bool = false, progress: BackupProgress? = nil
    ) {
        self.paths = paths
        self.tags = tags
        self.hostname = hostname
        self.excludes = excludes
        self.parent = parent
        self.force = force
        self.progress = progress
    }
}

/// A per-item problem (unreadable, vanished, unsupported): the item was skipped.
public struct ItemError: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// What a backup did, like restic's summary.
public struct BackupSummary: Sendable {
    public var snapshotID: BlobID
    public var parentID: BlobID?
    public var filesNew = 0
    public var filesChanged = 0
    public var filesUnmodified = 0
    public var dirsNew = 0
    public var dirsChanged = 0
    public var dirsUnmodified = 0
    public var dataBlobs = 0
    public var treeBlobs = 0
    /// Plaintext bytes of new blobs.
    public var dataAdded: UInt64 = 0
    /// Stored (compressed, encrypted) bytes of new blobs.
    public var dataAddedPacked: UInt64 = 0
    public var totalFiles = 0
    public var totalBytes: UInt64 = 0
    public var errors: [ItemError] = []
    public var seconds: Double = 0

    /// True when every item was stored.
    public var isComplete: Bool { errors.isEmpty }
}
