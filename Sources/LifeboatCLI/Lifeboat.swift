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
        await main(emptyValuesSplit(Array(CommandLine.arguments.dropFirst())))
    }

    /// `--flag=` (an empty value, as Velero's node agent passes `--cache-volume-path=` to data-mover pods and Go's
    /// flag parsing accepts) as `--flag ""`, which ArgumentParser reads as an empty value.
    static func emptyValuesSplit(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for argument in arguments {
            if argument.count > 3, argument.hasPrefix("--"), argument.hasSuffix("="), !argument.dropLast().contains("=")
            {
                result += [String(argument.dropLast()), ""]
            } else {
                result.append(argument)
            }
        }
        return result
    }
}
