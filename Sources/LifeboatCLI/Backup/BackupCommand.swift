import ArgumentParser

/// `lifeboat backup …`: create and read Velero-format backups.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Work with backups.",
        subcommands: [
            BackupCreateCommand.self, BackupGetCommand.self, BackupDescribeCommand.self, BackupLogsCommand.self,
            BackupDownloadCommand.self, BackupDeleteCommand.self,
        ]
    )
}
