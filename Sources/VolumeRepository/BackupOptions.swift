/// What to back up and how (`lifeboat repo backup`).
package struct BackupOptions: Sendable {
    /// Files and directories to back up. As restic, a target that is only `.` (the working directory) is
    /// replaced by its entries: the snapshot's root holds the directory's contents, and its `paths` name the
    /// directory.
    package var paths: [String]
    /// The directory relative `paths` start from (default: the process's working directory).
    package var workingDirectory: String?
    package var tags: [String]
    /// Host name recorded in the snapshot (default: this host).
    package var hostname: String?
    /// Glob patterns (restic `--exclude` syntax: `*.log`, `/abs/dir`, `**/cache`).
    package var excludes: [String]
    /// Parent snapshot ID; `nil` picks the latest snapshot of the same host and paths.
    package var parent: String?
    /// Read every file even when the parent says it is unchanged.
    package var force: Bool
    /// Reports progress while the backup runs.
    package var progress: BackupProgress?

    package init(
        paths: [String],
        tags: [String] = [],
        hostname: String? = nil,
        excludes: [String] = [],
        parent: String? = nil,
        force: Bool = false,
        progress: BackupProgress? = nil,
        workingDirectory: String? = nil
    ) {
        self.paths = paths
        self.workingDirectory = workingDirectory
        self.tags = tags
        self.hostname = hostname
        self.excludes = excludes
        self.parent = parent
        self.force = force
        self.progress = progress
    }
}

/// A per-item problem (unreadable, vanished, unsupported): the item was skipped.
package struct ItemError: Sendable, Hashable, CustomStringConvertible {
    package var path: String
    package var message: String
    package init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    package var description: String { "\(path): \(message)" }
}

/// What a backup did, like restic's summary.
package struct BackupSummary: Sendable {
    package var snapshotID: BlobID
    package var parentID: BlobID?
    package var filesNew = 0
    package var filesChanged = 0
    package var filesUnmodified = 0
    package var dirsNew = 0
    package var dirsChanged = 0
    package var dirsUnmodified = 0
    package var dataBlobs = 0
    package var treeBlobs = 0
    /// Plaintext bytes of new blobs.
    package var dataAdded: UInt64 = 0
    /// Stored (compressed, encrypted) bytes of new blobs.
    package var dataAddedPacked: UInt64 = 0
    package var totalFiles = 0
    package var totalBytes: UInt64 = 0
    package var errors: [ItemError] = []
    package var seconds: Double = 0

    /// True when every item was stored.
    package var isComplete: Bool { errors.isEmpty }
}
