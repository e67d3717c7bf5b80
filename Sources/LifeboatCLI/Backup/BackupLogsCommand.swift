import ArgumentParser
import BackupEngine

/// `lifeboat backup logs NAME`: the backup's log from the storage location.
struct BackupLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a backup's log.")

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The backup's name.") var name: String

    func run() async throws {
        let text: String = try await DirectMode.with(globals) { mode in
            let (_, store, _) = try await mode.locate(backup: name)
            guard let bytes = try await store.gunzipped(store.layout.backupLog(name)) else {
                throw CLIError("backup \(name) has no log in the storage location")
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        print(text, terminator: "")
    }
}
