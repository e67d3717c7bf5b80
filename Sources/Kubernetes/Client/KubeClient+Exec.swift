import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import Synchronization
import WSClient

/// What a command run with ``KubeClient/exec(namespace:pod:container:command:stdin:)`` wrote and how it ended.
public struct PodExecResult: Sendable, Equatable {
    /// Everything the command wrote to its standard output.
    public var stdout: [UInt8]
    /// Everything the command wrote to its standard error.
    public var stderr: [UInt8]
    /// The exit code from the status the server sent on the error channel (0 for `Success`).
    public var exitCode: Int
    /// The subprotocol the server accepted (`v5.channel.k8s.io` or `v4.channel.k8s.io`).
    public var subprotocol: String

    /// ``stdout`` as UTF-8 text.
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// ``stderr`` as UTF-8 text.
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

extension KubeClient {
    /// The remote-command subprotocols the client offers, best first: v5 (Kubernetes 1.30+) can end the
    /// command's standard input; v4 cannot.
    static let execSubprotocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

    /// Runs `command` in a container of a running pod (`pods/exec` over a WebSocket, as kubectl 1.30+ does)
    /// and returns its output and exit code.
    ///
    /// The client offers `v5.channel.k8s.io` first and `v4.channel.k8s.io` when the server refuses v5 (each
    /// offer is a separate upgrade request, so the client always knows which protocol it speaks). `stdin` is
    /// sent in full and, with v5, ended with the close signal, so a command that reads to the end of its input
    /// finishes. With v4 (servers older than 1.30) the end of input cannot be signalled: a command that reads
    /// its input to the end then waits forever, so pass `stdin` only to commands that stop reading by
    /// themselves there.
    ///
    /// - Throws: ``KubeError`` with the server's Status: `.notFound` for a missing pod, `.badRequest` for a
    ///   container that is not in the pod or a pod that is not running, `.serverError` when the kubelet finds
    ///   no running container (`container not found ("c")`); `.apiError` when the status channel reports a
    ///   failure other than a non-zero exit code.
    public func exec(
        namespace: String,
        pod: String,
        container: String? = nil,
        command: [String],
        stdin: [UInt8]? = nil
    ) async throws -> PodExecResult {
        try await exec(
            namespace: namespace,
            pod: pod,
            container: container,
            command: command,
            stdin: stdin,
            offering: Self.execSubprotocols
        )
    }

    /// ``exec(namespace:pod:container:command:stdin:)`` offering the subprotocols `offering`, one upgrade
    /// request each, in order.
    func exec(
        namespace: String,
        pod: String,
        container: String?,
        command: [String],
        stdin: [UInt8]?,
        offering: [String]
    ) async throws -> PodExecResult {
        let path = "/api/v1/namespaces/\(KubeURL.escapePath(namespace))/pods/\(KubeURL.escapePath(pod))/exec"
        var query: [(String, String)] = command.map { ("command", $0) }
        if let container { query.append(("container", container)) }
        if stdin != nil { query.append(("stdin", "true")) }
        query += [("stdout", "true"), ("stderr", "true")]
        let what = "exec in pod \"\(pod)\" in namespace \"\(namespace)\""
        var server = config.server
        while server.hasSuffix("/") { server.removeLast() }
        let url = server + path + KubeURL.query(query)
        let (tls, serverName) = try webSocketTLS(server: server)
        for subprotocol in offering {
            var headers = HTTPFields()
            if let authorization = try await authenticator.authorization() { headers[.authorization] = authorization }
            headers[.secWebSocketProtocol] = subprotocol
            headers[.userAgent] = configuration.userAgent
            let collector = ExecCollector()
            let v5 = subprotocol == "v5.channel.k8s.io"
            do {
                try await WebSocketClient.connect(
                    url: url,
                    configuration: .init(
                        maxFrameSize: 1 << 20,
                        additionalHeaders: headers,
                        sniHostname: serverName
                    ),
                    tlsConfiguration: tls,
                    logger: logger
                ) { inbound, outbound, _ in
                    if let stdin {
                        var offset = 0
                        while offset < stdin.count {
                            let end = min(offset + 32 * 1024, stdin.count)
                            var frame = ByteBuffer(bytes: [0])
                            frame.writeBytes(stdin[offset..<end])
                            try await outbound.write(.binary(frame))
                            offset = end
                        }
                        if v5 { try await outbound.write(.binary(ByteBuffer(bytes: [255, 0]))) }
                    }
                    // A caller that gives up (a hook's timeout) closes the stream, so that the server stops the
                    // command instead of leaving it running in the container.
                    try await withTaskCancellationHandler {
                        for try await message in inbound.messages(maxSize: 1 << 26) {
                            guard case .binary(var buffer) = message,
                                let channel = buffer.readInteger(as: UInt8.self)
                            else { continue }
                            collector.add(channel: channel, bytes: buffer.readBytes(length: buffer.readableBytes) ?? [])
                        }
                    } onCancel: {
                        Task { try? await outbound.close(.goingAway, reason: "canceled") }
                    }
                    try Task.checkCancellation()
                }
            } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
                continue
            } catch let error as KubeError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let request = KubeRequest(method: .GET, path: path, verb: "create", what: what)
                throw transportError(error, request: request).0
            }
            return try collector.result(subprotocol: subprotocol, what: what)
        }
        // Both upgrades were refused. A refused upgrade may come without a reason (the sandbox's WebSocket
        // server answers an empty 400); the same request without an upgrade gets the API's error.
        let request = KubeRequest(method: .POST, path: path, query: query, verb: "create", what: what)
        _ = try await send(request)
        throw KubeError(code: .apiError, message: "\(what): the server refused the WebSocket upgrade")
    }
}

extension KubeClient {
    /// The TLS configuration and server name for a WebSocket connection to `server`.
    ///
    /// The WebSocket client sends its host as the TLS server name and NIOSSL refuses an IP address there, so
    /// for a server addressed by IP (without `tls-server-name`) the client presents the name `kubernetes`
    /// and checks the certificate chain against the kubeconfig's CA without checking the name; without a
    /// CA of its own (system roots would accept any public certificate) it refuses, unless verification
    /// is off (`insecure-skip-tls-verify`).
    func webSocketTLS(server: String) throws -> (TLSConfiguration?, String?) {
        guard server.hasPrefix("https") else { return (nil, nil) }
        var tls = try TLSSupport.configuration(config.tls, source: config.source)
        let host = URLComponents(string: server)?.host ?? ""
        let isAddress = host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
        guard config.tls.serverName == nil, isAddress else { return (tls, config.tls.serverName) }
        if !config.tls.insecureSkipTLSVerify {
            guard config.tls.certificateAuthorityPEM != nil else {
                throw KubeError(
                    code: .config,
                    message: "kubeconfig \(config.source): exec over WebSocket to a server addressed by IP (\(host)) "
                        + "needs certificate-authority data or tls-server-name"
                )
            }
            tls.certificateVerification = .noHostnameVerification
        }
        return (tls, "kubernetes")
    }
}

/// Collects the output channels and the status of one exec stream.
private final class ExecCollector: Sendable {
    private struct State {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var status: [UInt8] = []
        var sawStatus = false
    }
    private let state = Mutex(State())

    func add(channel: UInt8, bytes: [UInt8]) {
        state.withLock { state in
            switch channel {
            case 1: state.stdout += bytes
            case 2: state.stderr += bytes
            case 3:
                state.status += bytes
                if !bytes.isEmpty { state.sawStatus = true }
            default: break
            }
        }
    }

    /// The result, or the failure the status reports.
    func result(subprotocol: String, what: String) throws -> PodExecResult {
        let state = state.withLock { $0 }
        guard state.sawStatus, let object = try? JSONValue(parsing: state.status).objectValue else {
            throw KubeError(code: .connection, message: "\(what): the stream ended without a status")
        }
        let status = KubeStatus(object: object, fallbackCode: 500)
        var result = PodExecResult(stdout: state.stdout, stderr: state.stderr, exitCode: 0, subprotocol: subprotocol)
        switch status.status {
        case "Success":
            return result
        case "Failure" where status.reason == "NonZeroExitCode":
            let code = status.causes.first { $0.reason == "ExitCode" }?.message.flatMap { Int($0) }
            guard let code else {
                throw KubeError(
                    code: .apiError,
                    message: "\(what): \(status.message ?? "no exit code")",
                    status: status
                )
            }
            result.exitCode = code
            return result
        default:
            throw KubeError(
                code: .forStatus(httpStatus: status.code, reason: status.reason),
                message: "\(what): \(status.message ?? "failed")",
                status: status,
                httpStatus: status.code
            )
        }
    }
}
