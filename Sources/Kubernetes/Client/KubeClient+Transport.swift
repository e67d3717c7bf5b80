import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One API request, before authentication and retries.
struct KubeRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var query: [(String, String)] = []
    var body: [UInt8]?
    var contentType: String?
    var accept = "application/json"
    /// The Kubernetes verb for error messages: get, list, watch, create, update, patch, delete.
    var verb: String
    /// What is acted on, for error messages: `configmaps "x" in namespace "ns"`.
    var what: String
    /// Whether the request may be re-sent after it may have reached the server.
    var idempotent: Bool
    /// Overrides the configured per-attempt timeout (nil = configured).
    var timeout: Duration?

    init(
        method: HTTPMethod,
        path: String,
        query: [(String, String)] = [],
        body: [UInt8]? = nil,
        contentType: String? = nil,
        accept: String = "application/json",
        verb: String,
        what: String,
        idempotent: Bool? = nil,
        timeout: Duration? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.contentType = contentType
        self.accept = accept
        self.verb = verb
        self.what = what
        self.idempotent = idempotent ?? (method == .GET || method == .PUT || method == .DELETE || method == .HEAD)
        self.timeout = timeout
    }
}

/// A buffered successful response.
struct KubeResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer
}

extension KubeClient {
    /// Sends a request with rate limiting, authentication and retries; returns a 2xx response.
    ///
    /// Retries (exponential backoff with jitter, up to `maxAttempts`): 429 always (honouring Retry-After);
    /// 500/502/503/504 and broken connections for idempotent requests; refused connections always (nothing
    /// was sent). A 401 with a refreshable credential (exec plugin, token file) is retried once with a fresh one.
    ///
    /// - Throws: ``KubeError`` for non-2xx responses and transport failures.
    func send(_ request: KubeRequest) async throws -> KubeResponse {
        try await perform(request) { response, request in
            let body = try await response.body.collect(upTo: configuration.maxResponseBytes)
            return KubeResponse(status: Int(response.status.code), headers: response.headers, body: body)
        }
    }

    /// Sends a request and hands the streaming 2xx response to `consume` (used by watch).
    func perform<R>(
        _ request: KubeRequest,
        _ consume: (HTTPClientResponse, KubeRequest) async throws -> R
    ) async throws -> R {
        var attempt = 0
        var refreshedAuth = false
        while true {
            attempt += 1
            try Task.checkCancellation()
            try await limiter.acquire()
            var http = HTTPClientRequest(url: baseURL + request.path + KubeURL.query(request.query))
            http.method = request.method
            http.headers.add(name: "Accept", value: request.accept)
            http.headers.add(name: "User-Agent", value: configuration.userAgent)
            if let auth = try await authenticator.authorization() {
                http.headers.add(name: "Authorization", value: auth)
            }
            if let body = request.body {
                http.headers.add(name: "Content-Type", value: request.contentType ?? "application/json")
                http.body = .bytes(body)
            }
            let timeout = request.timeout ?? configuration.requestTimeout
            logger.trace(
                "kubernetes request",
                metadata: ["k8s.verb": "\(request.verb)", "http.path": "\(request.path)", "attempt": "\(attempt)"]
            )
            let response: HTTPClientResponse
            do {
                response = try await self.http.execute(http, timeout: TimeAmount(timeout), logger: logger)
            } catch {
                var (kubeError, retryable) = transportError(error, request: request)
                if kubeError.code == .tls, kubeError.message.contains("unknown authority (or expired)") {
                    kubeError = await diagnosedTLSError(kubeError)
                }
                if retryable && attempt < configuration.maxAttempts {
                    logger.debug(
                        "retrying after transport error",
                        metadata: ["error": "\(kubeError)", "attempt": "\(attempt)"]
                    )
                    try await Task.sleep(for: backoff(attempt: attempt))
                    continue
                }
                throw kubeError
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) {
                do {
                    return try await consume(response, request)
                } catch let e as KubeError {
                    throw e
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    let (kubeError, _) = transportError(error, request: request)
                    throw kubeError
                }
            }
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0.trimmingSpaces()) }
            if status == 401, !refreshedAuth, await authenticator.canRefresh {
                refreshedAuth = true
                await authenticator.invalidate()
                attempt -= 1
                continue
            }
            if status == 429 { throttles.add(1, ordering: .relaxed) }
            let retryable = status == 429 || (request.idempotent && [500, 502, 503, 504].contains(status))
            if retryable && attempt < configuration.maxAttempts {
                var delay = backoff(attempt: attempt)
                if let retryAfter { delay = .seconds(min(retryAfter, 60)) }
                logger.debug(
                    "retrying after HTTP \(status)",
                    metadata: ["k8s.verb": "\(request.verb)", "attempt": "\(attempt)", "delay": "\(delay)"]
                )
                try await Task.sleep(for: delay)
                continue
            }
            throw apiError(status: status, body: Array(buffer: body), retryAfter: retryAfter, request: request)
        }
    }

    /// The delay before attempt `attempt + 1`: initial × 2^(attempt-1), capped, plus up to `jitter` × delay.
    func backoff(attempt: Int) -> Duration {
        let base = configuration.initialBackoff * (1 << min(attempt - 1, 20))
        let capped = min(base, configuration.maxBackoff)
        let factor = 1 + Double.random(in: 0...max(0, configuration.jitter))
        return capped * factor
    }

    /// Builds the KubeError for a failed response, naming the identity for 401/403.
    func apiError(status: Int, body: [UInt8], retryAfter: Int?, request: KubeRequest) -> KubeError {
        var context = "\(request.verb) \(request.what)"
        if status == 401 {
            context =
                "the server \(config.server) rejected the credentials of \(config.identityDescription) (trying to \(request.verb) \(request.what))"
        } else if status == 403 {
            context =
                "\(config.identityDescription) is not allowed to \(request.verb) \(request.what) on \(config.server)"
        }
        return KubeError.fromResponse(httpStatus: status, body: body, retryAfter: retryAfter, context: context)
    }

    /// Replaces the generic verification failure with the precise reason (expired / unknown authority).
    func diagnosedTLSError(_ error: KubeError) async -> KubeError {
        guard let components = URLComponents(string: config.server), let host = components.host else { return error }
        let port = components.port ?? 443
        guard
            let why = await TLSSupport.diagnoseVerificationFailure(
                host: host,
                port: port,
                serverName: config.tls.serverName
            )
        else { return error }
        var diagnosed = error
        diagnosed.message = "TLS connection to \(config.server) failed: \(why)"
        return diagnosed
    }

    /// Maps a transport error to a KubeError and says whether it may be retried.
    func transportError(_ error: any Error, request: KubeRequest) -> (KubeError, Bool) {
        if let e = error as? KubeError { return (e, false) }
        if error is CancellationError {
            return (KubeError(code: .cancelled, message: "\(request.verb) \(request.what): cancelled"), false)
        }
        if let why = TLSSupport.explain(error) {
            return (
                KubeError(
                    code: .tls,
                    message: "TLS connection to \(config.server) failed: \(why)",
                    cause: KubeError(code: .tls, message: String(describing: error))
                ), false
            )
        }
        let text = String(describing: error)
        if let h = error as? HTTPClientError {
            switch h {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return (
                    KubeError(
                        code: .timeout,
                        message: "\(request.verb) \(request.what): request to \(config.server) timed out"
                    ), request.idempotent
                )
            case .connectTimeout:
                return (KubeError(code: .timeout, message: "connecting to \(config.server) timed out"), true)
            case .cancelled:
                return (KubeError(code: .cancelled, message: "\(request.verb) \(request.what): cancelled"), false)
            default: break
            }
        }
        let refused =
            error is NIOConnectionError || text.contains("connectionRefused") || text.contains("Connection refused")
            || text.contains("ECONNREFUSED")
        return (
            KubeError(
                code: .connection,
                message: refused
                    ? "cannot connect to \(config.server)"
                    : "\(request.verb) \(request.what): connection to \(config.server) failed",
                cause: KubeError(code: .connection, message: text)
            ),
            refused || request.idempotent
        )
    }
}
