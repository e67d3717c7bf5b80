import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// A client of one Kubernetes API server: typed errors, retries, rate limiting, discovery and a
/// dynamic (unstructured) object API.
///
/// The client owns an HTTP connection pool; call ``shutdown()`` when done, or use ``withKubeClient(config:configuration:logger:isolation:_:)``.
///
/// ```swift
/// let config = try KubeConfig.load(kubeconfigPath: nil, context: nil)
/// try await withKubeClient(config: config, logger: logger) { client in
///     let version = try await client.serverVersion()
///     let cms = try await client.list(.configMaps, namespace: "default")
/// }
/// ```
public final class KubeClient: Sendable {
    /// The cluster, TLS and credentials this client uses.
    public let config: KubeConfig
    /// Rate limit, retries, timeouts.
    public let configuration: Configuration
    let logger: Logger
    let http: HTTPClient
    let authenticator: Authenticator
    let limiter: RateLimiter
    /// The URL prefix requests go to (the server URL, with the host replaced by tls-server-name when set).
    let baseURL: String
    let discoveryCache = Mutex<APIDiscovery?>(nil)
    let throttles = Atomic<Int>(0)

    /// How many responses so far were the server pushing back (HTTP 429: rate limits and API Priority and
    /// Fairness rejections), retried or not; a caller that adapts its load watches it grow.
    public var throttledResponses: Int { throttles.load(ordering: .relaxed) }

    /// Creates a client.
    ///
    /// - Throws: ``KubeError`` `.config` when the TLS material (CA, client certificate or key) is not valid PEM,
    ///   or the server URL is malformed.
    public init(config: KubeConfig, configuration: Configuration = Configuration(), logger: Logger) throws {
        self.config = config
        self.configuration = configuration
        self.logger = logger
        guard var components = URLComponents(string: config.server), let host = components.host,
            let scheme = components.scheme, scheme == "https" || scheme == "http"
        else {
            throw KubeError(
                code: .config,
                message: "kubeconfig \(config.source): server \"\(config.server)\" is not a valid URL"
            )
        }
        var httpConfig = HTTPClient.Configuration()
        if scheme == "https" {
            httpConfig.tlsConfiguration = try TLSSupport.configuration(config.tls, source: config.source)
        }
        if let serverName = config.tls.serverName, !serverName.isEmpty, serverName != host {
            // Connect to the real host but present and verify `serverName` (SNI + hostname check).
            httpConfig.dnsOverride = [serverName: host]
            components.host = serverName
        }
        var base = components.string ?? config.server
        while base.hasSuffix("/") { base.removeLast() }
        baseURL = base
        httpConfig.timeout = .init(connect: TimeAmount(configuration.connectTimeout), read: nil)
        httpConfig.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, configuration.maxConnections)
        )
        httpConfig.httpVersion = .http1Only
        httpConfig.redirectConfiguration = .disallow
        http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: httpConfig,
            backgroundActivityLogger: logger
        )
        authenticator = Authenticator(config: config)
        limiter = RateLimiter(qps: configuration.qps, burst: configuration.burst)
    }

    /// Closes the connection pool. Call exactly once when done.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The cluster's version (`GET /version`).
    public func serverVersion() async throws -> ServerVersion {
        let response = try await send(KubeRequest(method: .GET, path: "/version", verb: "get", what: "server version"))
        return ServerVersion(try JSONValue(parsing: response.body))
    }
}

/// Runs `body` with a client and shuts the client down afterwards, even when `body` throws.
public func withKubeClient<Result>(
    config: KubeConfig,
    configuration: KubeClient.Configuration = KubeClient.Configuration(),
    logger: Logger,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (KubeClient) async throws -> sending Result
) async throws -> sending Result {
    let client = try KubeClient(config: config, configuration: configuration, logger: logger)
    let result: Result
    do {
        result = try await body(client)
    } catch {
        try? await client.shutdown()
        throw error
    }
    try await client.shutdown()
    return result
}

/// The server's `/version` answer.
public struct ServerVersion: Sendable, Hashable {
    public var major: String
    public var minor: String
    /// e.g. "v1.28.7".
    public var gitVersion: String
    public var platform: String
    public var raw: JSONValue

    public init(_ value: JSONValue) {
        raw = value
        major = value["major"]?.stringValue ?? ""
        minor = value["minor"]?.stringValue ?? ""
        gitVersion = value["gitVersion"]?.stringValue ?? ""
        platform = value["platform"]?.stringValue ?? ""
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (s, atto) = duration.components
        self = .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}
