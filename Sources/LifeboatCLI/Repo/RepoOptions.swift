import ArgumentParser
import Foundation
import Logging
import ObjectStorage
import VolumeRepository

/// Options every `repo` subcommand takes: where the repository is and its password.
struct RepoOptions: ParsableArguments {
    @Option(
        name: [.customShort("r"), .long],
        help: "Repository: a local path or s3:http(s)://host[:port]/bucket[/prefix] (env RESTIC_REPOSITORY)."
    )
    var repo: String?

    @Option(
        name: .customLong("password-file"),
        help: "File with the repository password (env RESTIC_PASSWORD_FILE, RESTIC_PASSWORD)."
    )
    var passwordFile: String?

    @Flag(name: .shortAndLong, help: "Log more.")
    var verbose = false

    var logger: Logger {
        var logger = Logger(label: "lifeboat.repo")
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    func password() throws -> String {
        let env = ProcessInfo.processInfo.environment
        if let file = passwordFile ?? env["RESTIC_PASSWORD_FILE"] {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
            else {
                throw CLIError("cannot read password file \(file)")
            }
            var pw = text
            while pw.hasSuffix("\n") || pw.hasSuffix("\r") { pw.removeLast() }
            guard !pw.isEmpty else { throw CLIError("password file \(file) is empty") }
            return pw
        }
        if let pw = env["RESTIC_PASSWORD"], !pw.isEmpty { return pw }
        throw ValidationError("no password: use --password-file or set RESTIC_PASSWORD")
    }

    /// The store and key prefix named by `--repo`.
    /// - Parameter create: create a missing local folder (only `init` does).
    func location(create: Bool = false) throws -> (store: any ObjectStore, prefix: String) {
        guard let url = repo ?? ProcessInfo.processInfo.environment["RESTIC_REPOSITORY"], !url.isEmpty else {
            throw ValidationError("no repository: use --repo or set RESTIC_REPOSITORY")
        }
        if url.hasPrefix("s3:") {
            return try S3Location.open(url, logger: logger)
        }
        let path = url.hasPrefix("local:") ? String(url.dropFirst(6)) : url
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if !create && !FileManager.default.fileExists(atPath: absolute) {
            throw CLIError("repository \(url) does not exist")
        }
        do {
            return (try FilesystemObjectStore(root: absolute, configuration: .init(createRoot: create)), "")
        } catch {
            throw CLIError("repository \(url): \(error)")
        }
    }

    func openRepository(configuration: Repository.Configuration = .init()) async throws -> Repository {
        let (store, prefix) = try location()
        let pw = try password()
        do {
            return try await Repository.open(
                store: store,
                prefix: prefix,
                password: pw,
                configuration: configuration,
                logger: logger
            )
        } catch let e as RepositoryError {
            throw CLIError(e.description)
        } catch let e as ObjectStoreError {
            throw CLIError("repository \(repo ?? ""): \(e.description)")
        }
    }
}

/// Human-readable sizes like restic's.
enum ByteFormat {
    static func string(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.3f %@", value, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// restic's `--compression` values: `auto`, `off`, `max`, or (Lifeboat only) a zstd level 1–22.
enum CompressionMode {
    static func configuration(_ value: String) throws -> Repository.Configuration {
        switch value.lowercased() {
        case "auto": return .init()
        case "off": return .init(compression: false)
        case "max": return .init(compressionLevel: Repository.Configuration.maxLevel)
        default:
            guard let level = Int32(value), (1...22).contains(level) else {
                throw ValidationError("--compression \(value): use auto, off, max or a zstd level 1-22")
            }
            return .init(compressionLevel: level)
        }
    }
}
