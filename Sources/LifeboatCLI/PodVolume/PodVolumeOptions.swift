import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import Logging
import ObjectStorage
import UnixSignals
import VeleroAPI

/// The flags `lifeboat pod-volume backup` and `restore` share (Velero's `--volume-path`, `--resource-timeout`,
/// `--log-level`, `--log-format`), and how a run starts and ends.
///
/// Every flag is checked in `run()`, not by the parser, so that bad input still reaches the termination log.
struct PodVolumeOptions: ParsableArguments {
    @OptionGroup var globals: GlobalOptions

    @Option(name: .customLong("volume-path"), help: "The full path of the volume.")
    var volumePath: String?

    @Option(
        name: .customLong("resource-timeout"),
        help: "How long to wait for resource processes which are not covered by other specific timeout parameters."
    )
    var resourceTimeout: String?

    @Option(
        name: .customLong("log-level"),
        help: "The level at which to log: panic, fatal, error, warning, info, debug or trace."
    )
    var logLevel = "info"

    @Option(name: .customLong("log-format"), help: "The format for log output: text or json.")
    var logFormat = "text"

    @Option(
        name: .customLong("termination-log"),
        help: .hidden
    )
    var terminationLog: String?

    /// Where the outcome goes: the flag, else `LIFEBOAT_TERMINATION_LOG`, else `/dev/termination-log`.
    var terminationLogPath: String {
        if let terminationLog, !terminationLog.isEmpty { return terminationLog }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["LIFEBOAT_TERMINATION_LOG"], !path.isEmpty { return path }
        return DataPathMessages.terminationLogPath
    }

    /// The install namespace: `VELERO_NAMESPACE`, else the in-cluster service account's, else `--namespace`,
    /// else `velero`.
    static func namespace(
        environment: [String: String],
        flag: String?,
        namespaceFile: String = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    ) -> String {
        if let value = environment["VELERO_NAMESPACE"], !value.isEmpty { return value }
        if let data = FileManager.default.contents(atPath: namespaceFile) {
            let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !value.isEmpty { return value }
        }
        if let flag, !flag.isEmpty { return flag }
        return "velero"
    }

    /// swift-log's level for one of logrus's names.
    static func level(_ name: String) -> Logger.Level? {
        switch name.lowercased() {
        case "panic", "fatal": .critical
        case "error": .error
        case "warning", "warn": .warning
        case "info": .info
        case "debug": .debug
        case "trace": .trace
        default: nil
        }
    }

    /// The run's configuration, or the bad input as one line (cobra's wording for a missing flag).
    func configuration(loadFlag: String, loadName: String?) throws -> PodVolumeDataMover.Configuration {
        let missing = [("volume-path", volumePath), (loadFlag, loadName), ("resource-timeout", resourceTimeout)]
            .filter { ($0.1 ?? "").isEmpty }.map { "\"\($0.0)\"" }
        guard missing.isEmpty else { throw CLIError("required flag(s) \(missing.joined(separator: ", ")) not set") }
        guard let timeout = GoDuration.parse(resourceTimeout ?? ""), timeout > .zero else {
            throw CLIError(
                "invalid argument \"\(resourceTimeout ?? "")\" for \"--resource-timeout\" flag: not a duration"
            )
        }
        guard Self.level(logLevel) != nil else {
            throw CLIError("invalid argument \"\(logLevel)\" for \"--log-level\"")
        }
        guard ["text", "json"].contains(logFormat) else {
            throw CLIError("invalid argument \"\(logFormat)\" for \"--log-format\" flag: use text or json")
        }
        let environment = ProcessInfo.processInfo.environment
        guard let node = environment["NODE_NAME"], !node.isEmpty else {
            throw CLIError("the environment variable NODE_NAME (this node's name) is not set")
        }
        return PodVolumeDataMover.Configuration(
            namespace: Self.namespace(environment: environment, flag: globals.namespace),
            nodeName: node,
            loadName: loadName ?? "",
            volumePath: volumePath ?? "",
            resourceTimeout: timeout,
            terminationLogPath: terminationLogPath,
            objectStoreFactory: ObjectStoreFactory(environment: environment)
        )
    }

    /// The run's logger: stderr at `--log-level`.
    var logger: Logger {
        var logger = Logger(label: "lifeboat.pod-volume") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Self.level(logLevel) ?? .info
        return logger
    }

    /// Builds the configuration and a client, runs `service` with SIGTERM/SIGINT as a graceful stop, and exits
    /// with its status. Bad input ends as `<what>, <problem>` on stderr and in the termination log, with status 1.
    func run(
        what: String,
        loadFlag: String,
        loadName: String?,
        _ service: @escaping @Sendable (KubeClient, PodVolumeDataMover.Configuration, Logger) async -> DataPathOutcome
    ) async throws {
        let logger = self.logger
        let outcome: DataPathOutcome
        do {
            let configuration = try self.configuration(loadFlag: loadFlag, loadName: loadName)
            outcome = try await globals.withClient { client in
                await Self.stoppingOnSignals { await service(client, configuration, logger) }
            }
        } catch {
            let failed = DataPathOutcome(succeeded: false, message: "\(what), \(error)")
            _ = failed.writeTerminationLog(to: terminationLogPath)
            FileHandle.standardError.write(Data((failed.message + "\n").utf8))
            throw ExitCode(failed.exitCode)
        }
        if outcome.succeeded {
            print(outcome.message)
        } else {
            FileHandle.standardError.write(Data((outcome.message + "\n").utf8))
        }
        throw ExitCode(outcome.exitCode)
    }

    /// Runs `body`, cancelling it (a graceful stop for the data-path services) on SIGTERM or SIGINT.
    static func stoppingOnSignals(
        _ body: @escaping @Sendable () async -> DataPathOutcome
    ) async -> DataPathOutcome {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        return await withTaskGroup(of: DataPathOutcome?.self) { group in
            group.addTask { await body() }
            group.addTask {
                for await _ in signals { return nil }
                return nil
            }
            var result: DataPathOutcome?
            while let next = await group.next() {
                group.cancelAll()
                if let next {
                    result = next
                    break
                }
            }
            return result ?? DataPathOutcome(succeeded: false, message: DataPathMessages.canceledMessageSuffix)
        }
    }
}
