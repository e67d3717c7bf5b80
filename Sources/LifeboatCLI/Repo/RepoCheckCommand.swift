import ArgumentParser
import Foundation
import VolumeRepository

/// `lifeboat repo check [--read-data]`.
struct RepoCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Check the repository for errors.")

    @OptionGroup var options: RepoOptions
    @Flag(name: .customLong("read-data"), help: "Download and verify every pack.") var readData = false

    func run() async throws {
        let repo = try await options.openRepository()
        print("check snapshots, trees and blobs")
        let report: CheckReport
        do {
            report = try await repo.check(readData: readData, logger: options.logger)
        } catch let e as RepositoryError {
            throw CLIError(e.description)
        }
        if readData { print("read all data (\(report.packsRead) packs)") }
        for h in report.hints { print(h) }
        for e in report.errors { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }
        if !report.damagedBlobs.isEmpty {
            print("damaged blobs:")
            for b in report.damagedBlobs.sorted() { print("  \(b.hex)") }
        }
        if !report.damagedFiles.isEmpty {
            print("damaged files:")
            for f in report.damagedFiles { print("  \(f)") }
        }
        if report.isClean {
            print("no errors were found")
        } else {
            FileHandle.standardError.write(Data("Fatal: repository contains errors\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `lifeboat repo forget --keep-…`.
struct RepoForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove snapshots by policy (then run prune)."
    )

    @OptionGroup var options: RepoOptions
    @Option(name: .customLong("keep-last")) var keepLast = 0
    @Option(name: .customLong("keep-hourly")) var keepHourly = 0
    @Option(name: .customLong("keep-daily")) var keepDaily = 0
    @Option(name: .customLong("keep-weekly")) var keepWeekly = 0
    @Option(name: .customLong("keep-monthly")) var keepMonthly = 0
    @Option(name: .customLong("keep-yearly")) var keepYearly = 0
    @Option(name: .customLong("keep-tag")) var keepTag: [String] = []
    @Option(name: .long, help: "Only consider snapshots of this host.") var host: String?
    @Flag(name: .customLong("dry-run")) var dryRun = false
    @Flag(name: .long, help: "Run prune afterwards.") var prune = false

    func run() async throws {
        let repo = try await options.openRepository()
        let policy = ForgetPolicy(
            last: keepLast,
            hourly: keepHourly,
            daily: keepDaily,
            weekly: keepWeekly,
            monthly: keepMonthly,
            yearly: keepYearly,
            tags: keepTag
        )
        do {
            let result = try await repo.forget(policy: policy, hostname: host, dryRun: dryRun, logger: options.logger)
            print("keep \(result.keep.count) snapshots:")
            for s in result.keep {
                print("  \(s.id.short) \(s.snapshot.time) \(s.snapshot.paths.joined(separator: " "))")
            }
            print("remove \(result.remove.count) snapshots:")
            for s in result.remove {
                print("  \(s.id.short) \(s.snapshot.time) \(s.snapshot.paths.joined(separator: " "))")
            }
            if prune && !dryRun {
                let summary = try await repo.prune(logger: options.logger)
                RepoPruneCommand.printSummary(summary)
            }
        } catch let e as RepositoryError {
            throw CLIError(e.description)
        }
    }
}

/// `lifeboat repo prune`.
struct RepoPruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove data not used by any snapshot."
    )

    @OptionGroup var options: RepoOptions

    func run() async throws {
        let repo = try await options.openRepository()
        do {
            Self.printSummary(try await repo.prune(logger: options.logger))
        } catch let e as RepositoryError {
            throw CLIError(e.description)
        }
    }

    static func printSummary(_ s: PruneSummary) {
        print(
            "removed \(s.blobsRemoved) unused blobs: \(s.packsDeleted) packs deleted, \(s.packsRepacked) repacked, \(s.packsKept) kept"
        )
        print("freed \(ByteFormat.string(UInt64(s.bytesFreed))), replaced \(s.indexFilesReplaced) index files")
        if s.unreferencedPacksDeleted > 0 || s.abandonedWritesRemoved > 0 {
            print(
                "removed what interrupted runs left: \(s.unreferencedPacksDeleted) packs no index refers to, "
                    + "\(s.abandonedWritesRemoved) unfinished writes (temporary files, multipart uploads)"
            )
        }
    }
}
