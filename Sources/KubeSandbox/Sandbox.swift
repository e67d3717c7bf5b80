public import Foundation
public import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An embedded Kubernetes-API-compatible server on 127.0.0.1 (HTTPS, bearer token), for tests, the
/// quickstart and `lifeboat sandbox serve`.
///
/// ```swift
/// let sandbox = try await Sandbox.start(SandboxConfiguration(port: 0, dataDirectory: nil, nodes: 1, seed: nil))
/// try sandbox.writeKubeconfig(to: "/tmp/kubeconfig")
/// sandbox.faults.inject(status: 429, count: 2, retryAfterSeconds: 1, pathContains: "/configmaps")
/// try await sandbox.stop()
/// ```
/// Prefer ``withSandbox(_:logger:isolation:_:)``, which stops the server even when the body throws.
public final class Sandbox: Sendable {
    /// `https://127.0.0.1:PORT`.
    public let serverURL: String
    /// A kubeconfig with certificate-authority-data and the token.
    public let kubeconfigYAML: String
    /// The bearer token the server accepts.
    public let token: String
    /// The CA certificate (PEM).
    public let caCertificatePEM: String
    /// Injected failures for client tests.
    public let faults: FaultInjector

    let core: SandboxCore
    private let group: ServiceGroup
    /// The task running the service group. `start` must return while the server keeps running, so an
    /// unstructured task is unavoidable here; it is awaited by ``stop()`` and never outlives it.
    private let running: Mutex<Task<Void, any Error>?>

    private init(endpoint: SandboxEndpoint, group: ServiceGroup, task: Task<Void, any Error>) {
        serverURL = endpoint.serverURL
        kubeconfigYAML = endpoint.kubeconfigYAML
        token = endpoint.token
        caCertificatePEM = endpoint.caCertificatePEM
        faults = endpoint.faults
        core = endpoint.core
        self.group = group
        running = Mutex(task)
    }

    /// Starts a sandbox and returns once it accepts connections.
    ///
    /// - Parameters:
    ///   - configuration: port, data directory, nodes, seed.
    ///   - logger: where the sandbox logs (defaults to a logger that discards everything).
    /// - Throws: ``SandboxError`` when the data directory, certificates or port cannot be used.
    public static func start(_ configuration: SandboxConfiguration, logger: Logger? = nil) async throws -> Sandbox {
        // A discarding logger, not a bootstrapped one: library code does not log unless asked to.
        let logger = logger ?? Logger(label: "lifeboat.sandbox", factory: { _ in SwiftLogNoOpLogHandler() })
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Result<SandboxEndpoint, any Error>.self)
        let server = SandboxServer(configuration: configuration, logger: logger) { endpoint in
            readyContinuation.yield(.success(endpoint))
        }
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let task = Task {
            do {
                try await group.run()
                readyContinuation.yield(.failure(SandboxError(.startup, "the sandbox stopped before it was ready")))
                readyContinuation.finish()
            } catch {
                readyContinuation.yield(.failure(error))
                readyContinuation.finish()
                throw error
            }
        }
        for await result in ready {
            switch result {
            case .success(let endpoint): return Sandbox(endpoint: endpoint, group: group, task: task)
            case .failure(let error):
                _ = await task.result
                throw SandboxError(.startup, "the sandbox did not start", cause: error)
            }
        }
        throw SandboxError(.startup, "the sandbox did not start")
    }

    /// Stops the server gracefully (open watches end) and waits until it has stopped.
    public func stop() async throws {
        guard
            let task = running.withLock({ task -> Task<Void, any Error>? in
                defer { task = nil }
                return task
            })
        else { return }
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// Writes ``kubeconfigYAML`` to `path` (mode 0600).
    public func writeKubeconfig(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try kubeconfigYAML.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }

    /// The host:port the server listens on.
    public var address: String { core.serverAddress }

    /// Folder holding PV data and kubelet-like pod paths (the data directory, or a temporary folder).
    public var volumesRoot: URL { core.volumesRoot }
}

/// Runs `body` with a started sandbox and stops it afterwards, also when `body` throws.
public func withSandbox<T>(
    _ configuration: SandboxConfiguration,
    logger: Logger? = nil,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (Sandbox) async throws -> T
) async throws -> T {
    let sandbox = try await Sandbox.start(configuration, logger: logger)
    let result: T
    do {
        result = try await body(sandbox)
    } catch {
        try? await sandbox.stop()
        throw error
    }
    try await sandbox.stop()
    return result
}

extension Sandbox {
    /// Rewrites the write-ahead log now, while the sandbox keeps serving (after a compaction that is running
    /// ends), and returns when the new file is in place; false without a data directory. For benchmarks.
    package func compactLog() async throws -> Bool {
        guard let log = core.store.log else { return false }
        try await log.compactNow(core.store)
        return true
    }

    /// The number of stored objects and the bytes of their JSON bodies, over every collection. For benchmarks.
    package func storedObjects() -> (count: Int, bodyBytes: Int) {
        var count = 0
        var bytes = 0
        _ = core.store.walk { _, _, object in
            count += 1
            bytes += object.body.readableBytes
        }
        return (count, bytes)
    }
}
