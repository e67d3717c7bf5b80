import ArgumentParser

/// `lifeboat repo …`: restic-format (v2) volume repositories.
struct RepoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repo",
        abstract: "Manage restic-format (v2) volume repositories: init, backup, restore, check, forget, prune.",
        subcommands: [
            RepoInitCommand.self, RepoBackupCommand.self, RepoRestoreCommand.self, RepoSnapshotsCommand.self,
            RepoLsCommand.self, RepoCheckCommand.self, RepoForgetCommand.self, RepoPruneCommand.self,
            RepoUnlockCommand.self,
        ]
    )
}
