import ArgumentParser
import Foundation
import Kubernetes
import Logging

/// Options every cluster-facing command takes: `--kubeconfig`, `--kubecontext`, `-n/--namespace`.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)."
    )
    var kubeconfig: String?

    @Option(name: .long, help: "The kubeconfig context to use (default: current-context).")
    var kubecontext: String?

    @Option(
        name: [.short, .long],
        help: "The namespace Lifeboat (Velero) is installed in (env VELERO_NAMESPACE; default velero)."
    )
    var namespace: String?

    @Flag(name: .long, help: "Log debug messages to stderr.")
    var verbose = false

    @Option(
        name: .long,
        help: "Comma-separated features to enable (Velero's --features; default: the client config's features)."
    )
    var features: String?

    @Option(name: .long, help: "Color in the output (true|false; default: the client config's, else true).")
    var colorized: Bool?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Requests per second to the API server (Velero's --client-qps; 0 = unlimited; default 100, and for "
                + "restore create unlimited: its writers adapt to what the server sustains)."
        )
    )
    var clientQps: Double?

    @Option(name: .long, help: "Burst of requests above --client-qps (Velero's --client-burst).")
    var clientBurst: Int = 100

    /// The install namespace as Velero's client picks it: the flag, else the client config's `namespace`
    /// (`lifeboat client config set namespace=…`), else `VELERO_NAMESPACE`, else `velero`.
    var installNamespace: String {
        if let namespace, !namespace.isEmpty { return namespace }
        if let configured = (try? VeleroClientConfig.load())?.namespace { return configured }
        if let env = ProcessInfo.processInfo.environment["VELERO_NAMESPACE"], !env.isEmpty { return env }
        return "velero"
    }

    /// The CLI's logger: stderr, warnings and up unless `--verbose`.
    var logger: Logger {
        var logger = Logger(label: "lifeboat") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    /// Loads the kubeconfig; errors become one line naming the file and the problem.
    func kubeConfig() throws -> KubeConfig {
        do {
            return try KubeConfig.load(kubeconfigPath: kubeconfig, context: kubecontext)
        } catch {
            throw CLIError("\(error)")
        }
    }

    /// Runs `body` with a client for the selected cluster, shutting it down afterwards.
    func withClient<R: Sendable>(
        configuration: KubeClient.Configuration? = nil,
        _ body: (KubeClient) async throws -> R
    ) async throws -> R {
        let configuration = configuration ?? KubeClient.Configuration(qps: clientQps ?? 100, burst: max(1, clientBurst))
        let config = try kubeConfig()
        let client = try KubeClient(config: config, configuration: configuration, logger: logger)
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// `-o table|json|yaml` for commands that print objects.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, json, yaml
}

/// An error printed to the user as one line, with exit code 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
