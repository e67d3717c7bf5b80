import ArgumentParser
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The metrics endpoint of `lifeboat server` (Velero's metric server on `--metrics-address`): `GET /metrics` answers
/// with the registry's metrics in the Prometheus text exposition format.
///
/// It is a service of the server's ServiceGroup next to the leader-elected controllers, not inside them: every
/// replica serves its metrics, leader or not, as Velero's do. It stops on the group's graceful shutdown.
///
/// ```swift
/// let server = MetricsServer(address: .init(parsing: ":8085")!, registry: registry, logger: logger)
/// ```
struct MetricsServer: Service {
    /// A listening address in Go's `host:port` form: `:8085` (every interface), `127.0.0.1:8085`,
    /// `[::1]:8085`, `localhost:0` (a port the system chooses).
    struct Address: Equatable, Sendable {
        /// The host or IP address to bind to (`0.0.0.0` for an empty host).
        var host: String
        /// The TCP port (0: any free port).
        var port: Int

        /// `text` parsed; throws naming `--metrics-address` and the value when it is not `host:port`.
        static func checked(_ text: String) throws -> Address {
            guard let address = Address(parsing: text) else {
                throw ValidationError(
                    "--metrics-address \(text.debugDescription) is not an address (host:port, e.g. :8085 or 127.0.0.1:8085)"
                )
            }
            return address
        }

        /// Parses `host:port`; nil when `text` is not one.
        init?(parsing text: String) {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            var host = String(text[..<colon])
            let portText = text[text.index(after: colon)...]
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let port = Int(portText), port <= 65535
            else { return nil }
            if host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2 {
                host = String(host.dropFirst().dropLast())
            } else if host.contains(":") || host.contains("[") || host.contains("]") {
                return nil
            }
            guard !host.contains(where: { $0.isWhitespace || $0 == "/" }) else { return nil }
            self.host = host.isEmpty ? "0.0.0.0" : host
            self.port = port
        }
    }

    /// The content type of the text exposition format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    let address: Address
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    func run() async throws {
        let router = Router()
        let registry = self.registry
        router.get("metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = Self.contentType
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
        let logger = self.logger
        let address = self.address
        logger.info("Starting metric server at address [\(address.host):\(address.port)]")
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(address.host, port: address.port),
                serverName: nil
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                logger.info("metrics server listening", metadata: ["address": "\(address.host):\(port)"])
            },
            logger: logger
        )
        do {
            try await application.run()
        } catch {
            logger.error("Failed to start metric server at [\(address.host):\(address.port)]: \(error)")
            throw error
        }
    }
}
