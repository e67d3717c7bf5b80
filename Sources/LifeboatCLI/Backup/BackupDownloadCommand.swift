import ArgumentParser
import BackupEngine
import Foundation
import NIOCore
import ObjectStorage
import VeleroAPI

/// `lifeboat backup download NAME [-o FILE] [--force]`: the backup's tarball (`NAME-data.tar.gz`).
struct BackupDownloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a backup's contents (tarball)."
    )

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The backup's name.") var name: String
    @Option(name: .shortAndLong, help: "The file to write (default: NAME-data.tar.gz).") var output: String?
    @Flag(name: .long, help: "Overwrite the file if it exists.") var force = false

    func run() async throws {
        let path = output ?? "\(name)-data.tar.gz"
        if FileManager.default.fileExists(atPath: path) && !force {
            throw CLIError("file \(path) already exists; use --force to overwrite it")
        }
        let bytes: Int = try await DirectMode.with(globals) { mode in
            let (_, store, _) = try await mode.locate(backup: name)
            let body = try await store.tarball(of: name)
            let temporary = path + ".lifeboat-\(UUID().uuidString.prefix(8)).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: nil),
                let handle = FileHandle(forWritingAtPath: temporary)
            else {
                throw CLIError("cannot create \(temporary)")
            }
            var total = 0
            do {
                for try await chunk in body {
                    handle.write(Data(chunk.readableBytesView))
                    total += chunk.readableBytes
                }
                try handle.synchronize()
                try handle.close()
                if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
                try FileManager.default.moveItem(atPath: temporary, toPath: path)
            } catch {
                try? handle.close()
                try? FileManager.default.removeItem(atPath: temporary)
                throw error
            }
            return total
        }
        print("Backup \(name) has been successfully downloaded to \(path) (\(bytes) bytes).")
    }
}
