import ArgumentParser

/// `lifeboat restore …`: ordered, parallel, previewable restores of Velero-format backups.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Work with restores.",
        subcommands: [
            RestoreCreateCommand.self, RestoreGetCommand.self, RestoreDescribeCommand.self, RestoreLogsCommand.self,
            RestoreDeleteCommand.self,
        ]
    )
}
