import ArgumentParser
import Foundation
import VolumeRepository

/// `lifeboat repo backup PATH…`.
struct RepoBackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up files and directories into a new snapshot (exit 3 when some items could not be read)."
    )

    @OptionGroup var options: RepoOptions
    @Option(name: .long, help: "Tag for the snapshot (repeatable).") var tag: [String] = []
    @Option(name: .long, help: "Host name to record (default: this host).") var host: String?
    @Option(name: [.short, .long], help: "Exclude paths matching this pattern (repeatable).") var exclude: [String] = []
    @Option(name: .long, help: "Parent snapshot (default: latest of the same host and paths).") var parent: String?
    @Flag(name: .long, help: "Read all files even when unchanged.") var force = false
    @Flag(name: .long, help: "Print the summary as JSON.") var json = false
    @Option(name: .long, help: "Compression: auto (zstd level 2), off, max (level 19) or a zstd level 1-22.")
    var compression = "auto"
    @Option(name: .long, help: "Files read at once (default: $RESTIC_READ_CONCURRENCY or 2), as restic's flag.")
    var readConcurrency: Int?
    @Argument(help: "Files and directories to back up.") var paths: [String]

    func run() async throws {
        var configuration = try CompressionMode.configuration(compression)
        configuration.parallelism = try Self.readConcurrency(
            readConcurrency,
            environment: ProcessInfo.processInfo.environment
        )
        let repo = try await options.openRepository(configuration: configuration)
        let progress = BackupProgress()
        let backupOptions = BackupOptions(
            paths: paths,
            tags: tag,
            hostname: host,
            excludes: exclude,
            parent: parent,
            force: force,
            progress: progress
        )
        let summary: BackupSummary
        do {
            summary = try await ProgressPrinter.run(progress: progress, scan: (paths, exclude)) {
                try await repo.backup(backupOptions, logger: options.logger)
            }
        } catch let e as RepositoryError {
            throw CLIError(e.description)
        }
        for e in summary.errors { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }
        if json {
            let obj: [String: Any] = [
                "message_type": "summary", "files_new": summary.filesNew, "files_changed": summary.filesChanged,
                "files_unmodified": summary.filesUnmodified, "dirs_new": summary.dirsNew,
                "dirs_changed": summary.dirsChanged,
                "dirs_unmodified": summary.dirsUnmodified, "data_blobs": summary.dataBlobs,
                "tree_blobs": summary.treeBlobs,
                "data_added": summary.dataAdded, "data_added_packed": summary.dataAddedPacked,
                "total_files_processed": summary.totalFiles, "total_bytes_processed": summary.totalBytes,
                "total_duration": summary.seconds, "snapshot_id": summary.snapshotID.hex,
            ]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            if let parent = summary.parentID { print("using parent snapshot \(parent.short)") }
            print("")
            print(
                String(
                    format: "Files:       %5d new, %5d changed, %5d unmodified",
                    summary.filesNew,
                    summary.filesChanged,
                    summary.filesUnmodified
                )
            )
            print(
                String(
                    format: "Dirs:        %5d new, %5d changed, %5d unmodified",
                    summary.dirsNew,
                    summary.dirsChanged,
                    summary.dirsUnmodified
                )
            )
            print(
                "Added to the repository: \(ByteFormat.string(summary.dataAdded)) (\(ByteFormat.string(summary.dataAddedPacked)) stored)"
            )
            print("")
            print(
                "processed \(summary.totalFiles) files, \(ByteFormat.string(summary.totalBytes)) in \(ByteFormat.duration(summary.seconds))"
            )
            print("snapshot \(summary.snapshotID.short) saved")
        }
        if !summary.isComplete {
            FileHandle.standardError.write(Data("Warning: at least one source file could not be read\n".utf8))
            throw ExitCode(3)
        }
    }

    /// The number of files read at once: the flag, else `RESTIC_READ_CONCURRENCY`, else 2 (restic's rules).
    static func readConcurrency(_ flag: Int?, environment: [String: String]) throws -> Int {
        if let flag {
            guard flag > 0 else { throw ValidationError("--read-concurrency \(flag): must be at least 1") }
            return flag
        }
        guard let text = environment["RESTIC_READ_CONCURRENCY"], !text.isEmpty else { return 2 }
        guard let value = Int(text), value > 0 else {
            throw ValidationError("RESTIC_READ_CONCURRENCY=\(text): must be a whole number of at least 1")
        }
        return value
    }
}
