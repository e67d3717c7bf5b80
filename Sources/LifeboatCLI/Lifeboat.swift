import ArgumentParser
import Foundation

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
            UninstallCommand.self,
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
            ClientCommand.self,
            CompletionCommand.self,
        ]
    )

    static func main() async {
        AllocatorTuning.apply()
        let arguments = VeleroArguments(tree: .init(Lifeboat.self)).normalize(Array(CommandLine.arguments.dropFirst()))
        var command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot(arguments)
        } catch {
            fail(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // A value found bad while running: the usage of the command that ran, not the top-level one.
            let path = VeleroArguments.path(to: type(of: command), from: Lifeboat.self).joined(separator: " ")
            let usage = usageString(for: type(of: command))
            FileHandle.standardError.write(
                Data("Error: \(error.message)\nUsage: \(usage)\n  See '\(path) --help' for more information.\n".utf8)
            )
            Foundation.exit(1)
        } catch {
            fail(error)
        }
    }

    /// Exits for `error` as ArgumentParser does, except that a usage error (an unknown flag, a value refused)
    /// exits 1 like every Velero error, not 64.
    static func fail(_ error: any Error) -> Never {
        guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(1)
    }
}
