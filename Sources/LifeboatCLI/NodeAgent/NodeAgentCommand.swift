import ArgumentParser

/// `lifeboat node-agent`: the node agent and its configuration tools.
struct NodeAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node-agent",
        abstract: "The node agent (server) and its configuration tools.",
        subcommands: [NodeAgentServerCommand.self, NodeAgentConfigCommand.self]
    )
}

/// `lifeboat node-agent config`.
struct NodeAgentConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the node-agent ConfigMap (loadConcurrency, loadAffinity, podResources, …).",
        subcommands: [NodeAgentConfigExplainCommand.self]
    )
}
