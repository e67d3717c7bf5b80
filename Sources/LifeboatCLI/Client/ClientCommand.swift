import ArgumentParser
import Foundation

/// `lifeboat client config get|set`: Velero's client configuration file (`~/.config/velero/config.json`), which
/// both CLIs read.
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Manage the client configuration (shared with the velero CLI).",
        subcommands: [ClientConfigCommand.self]
    )
}

/// `lifeboat client config`.
struct ClientConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Get and set client configuration file values.",
        discussion: """
            The file is $HOME/.config/velero/config.json. Keys Velero reads: namespace (the install namespace \
            when -n is not given; it wins over VELERO_NAMESPACE), features, colorized, cacert.
            """,
        subcommands: [ClientConfigGetCommand.self, ClientConfigSetCommand.self]
    )
}

/// `lifeboat client config get [KEY...]`: every value (sorted by key) or the named ones.
struct ClientConfigGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Get client configuration values.")

    @Argument(help: "Keys to show (default: all).") var keys: [String] = []

    func run() throws {
        let config = try VeleroClientConfig.load()
        let shown = keys.isEmpty ? config.values.keys.sorted() : keys
        for key in shown { print("\(key): \(config.values[key] ?? "<NOT SET>")") }
    }
}

/// `lifeboat client config set KEY=VALUE...`: an empty value removes the key; a pair without `=` is skipped
/// with a warning, as Velero does.
struct ClientConfigSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set client configuration values (KEY=VALUE; an empty VALUE removes the key)."
    )

    @Argument(help: "KEY=VALUE pairs.") var pairs: [String]

    func validate() throws {
        guard !pairs.isEmpty else { throw ValidationError("give at least one KEY=VALUE") }
    }

    func run() throws {
        var config = try VeleroClientConfig.load()
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].contains("=") else {
                FileHandle.standardError.write(Data("WARNING: invalid KEY=VALUE: \"\(pair)\"\n".utf8))
                continue
            }
            let key = String(parts[0])
            if parts[1].isEmpty {
                config.values[key] = nil
            } else {
                config.values[key] = String(parts[1])
                if !VeleroClientConfig.knownKeys.contains(key) {
                    let known = VeleroClientConfig.knownKeys.joined(separator: ", ")
                    FileHandle.standardError.write(Data("WARNING: \(key) is not a key Velero reads (\(known))\n".utf8))
                }
            }
        }
        try config.save()
    }
}

/// `lifeboat completion bash|zsh|fish`: the shell completion script (Velero's `velero completion`).
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the shell completion script (bash, zsh or fish).",
        discussion: """
            bash: source <(lifeboat completion bash)
            zsh:  lifeboat completion zsh > "${fpath[1]}/_lifeboat"
            fish: lifeboat completion fish > ~/.config/fish/completions/lifeboat.fish
            """
    )

    @Argument(help: "The shell: bash, zsh or fish.") var shell: String

    func run() throws {
        guard let known = CompletionShell(rawValue: shell) else {
            let shells = CompletionShell.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("unknown shell \"\(shell)\"; use one of \(shells)")
        }
        print(Lifeboat.completionScript(for: known))
    }
}
