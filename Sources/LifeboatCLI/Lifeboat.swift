import ArgumentParser

/// The one executable: client commands, `server`, `node-agent`, `sandbox`, `repo`, `quickstart`.
@main
struct Lifeboat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifeboat",
        abstract: "Back up, restore and migrate Kubernetes applications (Velero-compatible).",
        version: LifeboatVersion.current,
        subcommands: [
            VersionCommand.self,
            InstallCommand.self,
            BackupLocationCommand.self,
            BackupCommand.self,
            RestoreCommand.self,
            ScheduleCommand.self,
            ServerCommand.self,
            SandboxCommand.self,
            RepoCommand.self,
            NodeAgentCommand.self,
            PodVolumeCommand.self,
            QuickstartCommand.self,
            RestoreHelperCommand.self,
        ]
    )

    static func main() async {
        AllocatorTuning.apply()
        await main(nil)
    }
}
