import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
public import Logging
import NIOCore
import NIOSSL
public import ServiceLifecycle

/// What a running sandbox tells its owner once it listens.
public struct SandboxEndpoint: Sendable {
    /// `https://127.0.0.1:PORT`.
    public var serverURL: String
    /// A kubeconfig with the CA (certificate-authority-data) and the bearer token.
    public var kubeconfigYAML: String
    /// The bearer token.
    public var token: String
    /// The CA certificate (PEM) that signed the server certificate.
    public var caCertificatePEM: String
    /// Injects failures into the API (see ``FaultInjector``).
    public var faults: FaultInjector
    let core: SandboxCore
}

/// The sandbox as a ServiceLifecycle `Service`: prepares the state, serves HTTPS on 127.0.0.1 and runs the
/// in-process controllers until graceful shutdown, then closes watches and compacts the log.
///
/// ```swift
/// let server = SandboxServer(configuration: config, logger: logger) { endpoint in print(endpoint.serverURL) }
/// try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
public struct SandboxServer: Service {
    let configuration: SandboxConfiguration
    let logger: Logger
    let onReady: @Sendable (SandboxEndpoint) async -> Void

    /// Creates the service; `onReady` runs once the server accepts connections.
    public init(
        configuration: SandboxConfiguration,
        logger: Logger,
        onReady: @escaping @Sendable (SandboxEndpoint) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        let runtime = try await SandboxRuntime.prepare(configuration, logger: logger)
        var tls = try runtime.certificates.tlsConfiguration()
        // After its close_notify, wait briefly for the client's: Go clients and a client whose WebSocket
        // upgrade was refused never answer, and NIO's default (5 s) then holds up the sandbox's shutdown.
        tls.shutdownTimeout = .milliseconds(250)
        let core = runtime.core
        let onReady = self.onReady
        let logger = self.logger
        let controller = ClusterController(core: core)
        controller.kubelet.certificateAuthority = runtime.certificates.caCertificatePEM
        let application = Application(
            responder: APIHandler(core: core),
            server: try .tls(
                HTTPServerBuilder { responder in
                    SandboxHTTPChannel(
                        base: HTTP1WebSocketUpgradeChannel(
                            responder: responder,
                            configuration: .init(ws: .init(maxFrameSize: 1 << 20))
                        ) { request, _, logger in
                            await ExecUpgrade.decide(request, core: core, logger: logger)
                        }
                    )
                },
                tlsConfiguration: tls
            ),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: configuration.port)),
            services: [controller, controller.kubelet],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                core.serverAddress = "127.0.0.1:\(port)"
                let url = "https://127.0.0.1:\(port)"
                logger.info("sandbox listening", metadata: ["server": "\(url)"])
                await onReady(
                    SandboxEndpoint(
                        serverURL: url,
                        kubeconfigYAML: runtime.kubeconfig(serverURL: url),
                        token: core.token,
                        caCertificatePEM: runtime.certificates.caCertificatePEM,
                        faults: core.faults,
                        core: core
                    )
                )
            },
            logger: logger
        )
        do {
            try await withGracefulShutdownHandler {
                try await application.run()
            } onGracefulShutdown: {
                core.store.close()
            }
        } catch {
            await runtime.shutdown(logger: logger)
            throw error
        }
        await runtime.shutdown(logger: logger)
    }
}
