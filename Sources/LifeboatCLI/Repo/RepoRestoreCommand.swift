import ArgumentParser
import Foundation
import VeleroAPI
import VolumeRepository

/// `lifeboat repo restore SNAPSHOT --target DIR`.
struct RepoRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a snapshot into a directory."
    )

    @OptionGroup var options: RepoOptions
    @Option(name: [.short, .long], help: "Directory to restore into.") var target: String
    @Option(name: [.short, .long], help: "Only restore paths matching this pattern (repeatable).") var include:
        [String] = []
    @Option(name: [.short, .long], help: "Skip paths matching this pattern (repeatable).") var exclude: [String] = []
    @Flag(name: .long, help: "Write zero chunks instead of leaving holes.") var noSparse = false
    @Argument(help: "Snapshot ID or 'latest'.") var snapshot: String

    func run() async throws {
        let repo = try await options.openRepository()
        let progress = BackupProgress()
        let restoreOptions = RestoreOptions(
            snapshot: snapshot,
            target: target,
            includes: include,
            excludes: exclude,
            sparse: !noSparse,
            progress: progress
        )
        let summary: RestoreSummary
        do {
            summary = try await ProgressPrinter.run(progress: progress, scan: nil) {
                try await repo.restore(restoreOptions, logger: options.logger)
            }
        } catch let e as RepositoryError {
            throw CLIError(e.description)
        }
        print("restoring snapshot \(summary.snapshotID.short) to \(target)")
        for e in summary.errors { FileHandle.standardError.write(Data("ignoring error for \(e)\n".utf8)) }
        print(
            "Summary: Restored \(summary.files) files, \(summary.directories) directories (\(ByteFormat.string(summary.bytes))) in \(ByteFormat.duration(summary.seconds))"
        )
        if !summary.isComplete {
            FileHandle.standardError.write(Data("Fatal: There were \(summary.errors.count) errors\n".utf8))
            throw ExitCode(1)
        }
    }
}
