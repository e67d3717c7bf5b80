import ArgumentParser

/// `lifeboat sandbox`: the embedded Kubernetes-API-compatible server.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a throw-away local Kubernetes API server (kubectl works against it).",
        subcommands: [SandboxServeCommand.self]
    )
}
