import ArgumentParser
import Foundation
import KubeSandbox
import Kubernetes
import Logging
import ServiceLifecycle
import UnixSignals

/// `lifeboat sandbox serve`: serves until SIGINT/SIGTERM, printing one JSON line when ready:
/// `{"server": "https://127.0.0.1:PORT", "kubeconfig": "PATH"}`.
struct SandboxServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the sandbox API on 127.0.0.1 until SIGINT/SIGTERM.",
        discussion: """
            Prints one JSON line on stdout when ready: {"server": "https://127.0.0.1:PORT", "kubeconfig": "PATH"}.
            With --data-dir the cluster state (and PV data) persists across restarts.
            """
    )

    @Option(help: "TCP port on 127.0.0.1 (0 = a free port).")
    var port: Int = 0

    @Option(help: "Directory for persistent state, PV folders and kubelet-like pod paths.")
    var dataDir: String?

    @Option(help: "Where to write the kubeconfig (default: <data-dir>/kubeconfig, else a temporary file).")
    var kubeconfigOut: String?

    @Option(help: "Number of Ready nodes.")
    var nodes: Int = 1

    @Option(help: "Sample application to create: demo.")
    var seed: String?

    @Option(
        help:
            "Delay added to every write before it is applied, like a real API server's etcd commit (Go duration, e.g. 5ms; default 0)."
    )
    var writeLatency: String = "0"

    @Option(
        name: .customLong("image-command"),
        help: ArgumentHelp(
            "Run containers of IMAGE with the host program PATH as their entrypoint (IMAGE=PATH, repeatable).",
            discussion: """
                IMAGE without a tag matches every tag of that repository. \(SandboxConfiguration.lifeboatImage) \
                maps to this lifeboat executable unless given here.
                """
        )
    )
    var imageCommands: [String] = []

    @Option(
        name: .customLong("share-host-path"),
        help: ArgumentHelp(
            "A host folder every node shares at the same path, like a network filesystem (repeatable).",
            discussion: """
                A pod's hostPath volume inside it is the host folder itself instead of a folder private to the \
                pod's node. Share the bucket folder of a `filesystem` backup storage location so that the node \
                agents' hosting pods reach it.
                """
        )
    )
    var sharedHostPaths: [String] = []

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical); logs go to stderr.")
    var logLevel: String = "warning"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port) is not in 0...65535") }
        guard (0...1000).contains(nodes) else { throw ValidationError("--nodes \(nodes) is not in 0...1000") }
        if let seed, SandboxConfiguration.Seed(rawValue: seed) == nil {
            throw ValidationError("--seed \(seed) is not supported (supported: demo)")
        }
        guard let latency = GoDuration.parse(writeLatency), latency >= .zero, latency <= .seconds(10) else {
            throw ValidationError(
                "--write-latency \(writeLatency.debugDescription) is not a duration in 0...10s (e.g. 5ms)"
            )
        }
        _ = try imageCommandMap()
        _ = try sharedHostPathList()
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel) is unknown")
        }
    }

    func run() async throws {
        var configuredLogger = Logger(label: "lifeboat.sandbox") { StreamLogHandler.standardError(label: $0) }
        configuredLogger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let logger = configuredLogger
        let dataDirectory = dataDir.map { URL(fileURLWithPath: $0, isDirectory: true) }
        let kubeconfigPath =
            kubeconfigOut
            ?? dataDirectory?.appendingPathComponent("kubeconfig").path
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                "lifeboat-sandbox-\(UUID().uuidString).kubeconfig"
            ).path
        let configuration = SandboxConfiguration(
            port: port,
            dataDirectory: dataDirectory,
            nodes: nodes,
            seed: seed.flatMap(SandboxConfiguration.Seed.init),
            writeLatency: GoDuration.parse(writeLatency) ?? .zero,
            customResources: .velero,
            imageCommands: try imageCommandMap(),
            sharedHostPaths: try sharedHostPathList()
        )
        let server = SandboxServer(configuration: configuration, logger: logger) { endpoint in
            do {
                let url = URL(fileURLWithPath: kubeconfigPath)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(),
                    withIntermediateDirectories: true
                )
                try endpoint.kubeconfigYAML.write(to: url, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
            } catch {
                logger.error("cannot write kubeconfig", metadata: ["path": "\(kubeconfigPath)", "error": "\(error)"])
            }
            let line =
                "{\"server\": \(Self.quoted(endpoint.serverURL)), \"kubeconfig\": \(Self.quoted(kubeconfigPath))}\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    /// `--image-command` as a map, with Lifeboat's own image mapped to this executable.
    func imageCommandMap() throws -> [String: String] {
        var map: [String: String] = [:]
        if let executable = Self.currentExecutable() { map[SandboxConfiguration.lifeboatImage] = executable }
        for entry in imageCommands {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--image-command \(entry.debugDescription) is not IMAGE=PATH")
            }
            let path = URL(fileURLWithPath: parts[1]).standardizedFileURL.path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw ValidationError("--image-command \(entry): \(path) is not an executable file")
            }
            map[parts[0]] = path
        }
        return map
    }

    /// `--share-host-path` as absolute paths of existing folders.
    func sharedHostPathList() throws -> [String] {
        try sharedHostPaths.map { entry in
            let path = URL(fileURLWithPath: entry).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--share-host-path \(entry): \(path) is not a folder")
            }
            return path
        }
    }

    /// The running `lifeboat` executable.
    static func currentExecutable() -> String? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return Bundle.main.executablePath
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default:
                if scalar.value < 0x20 {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
