import HTTPTypes
import HummingbirdWebSocket
import Kubernetes
import Logging
import NIOCore
import NIOWebSocket

/// One `kubectl exec` over a WebSocket in the remote-command protocol `v4.channel.k8s.io` or
/// `v5.channel.k8s.io`: binary messages whose first byte is the channel (0 stdin, 1 stdout, 2 stderr,
/// 3 error/status, 4 resize); v5 adds the close signal `[255, channel]` (stdin ends). The process's output
/// goes out as it comes; once it exited and its output is drained, its status goes out on channel 3 as a
/// `Status` (`Success`, or `Failure` with reason `NonZeroExitCode` and the exit code as the `ExitCode`
/// cause) and the server closes the connection.
struct ExecSession: Sendable {
    /// Channel numbers of the remote-command stream protocol.
    enum Channel {
        static let stdin: UInt8 = 0
        static let stdout: UInt8 = 1
        static let stderr: UInt8 = 2
        static let status: UInt8 = 3
        static let resize: UInt8 = 4
        /// v5: `[255, channel]` closes that channel (stdin's end of input).
        static let close: UInt8 = 255
    }

    var request: ExecRequest
    var invocation: ProcessInvocation
    /// The negotiated subprotocol.
    var subprotocol: String
    var logger: Logger

    /// How long to wait for the client's answer to the close frame before dropping the connection.
    static let closeAnswerTimeout = Duration.seconds(5)

    /// Serves the connection until the process ended and the client went away.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        // The API server's stream translator sends an empty message on the lowest writable channel first, to
        // tell the client that the streams are set up.
        let ready = request.stdout ? Channel.stdout : request.stderr ? Channel.stderr : Channel.status
        try? await outbound.write(.binary(ByteBuffer(bytes: [ready])))
        let process: HostProcess
        do {
            process = try HostProcess(invocation, stdin: request.stdin, stdout: request.stdout, stderr: request.stderr)
        } catch {
            let message = "error executing command in container: \(error)"
            await finish(status: Self.internalError(message), outbound: outbound)
            return
        }
        let v5 = subprotocol == "v5.channel.k8s.io"
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await Self.pumpInput(inbound: inbound, process: process, v5: v5)
            }
            for await (stream, bytes) in process.output {
                var buffer = ByteBuffer()
                buffer.writeInteger(stream.rawValue)
                buffer.writeBytes(bytes)
                try? await outbound.write(.binary(buffer))
            }
            let code = await process.exitStatus()
            process.closeInput()
            await finish(status: Self.exitStatus(code, command: request.command), outbound: outbound)
            // Wait for the client's close (which ends the input pump), or give up after a while.
            group.addTask { try? await Task.sleep(for: Self.closeAnswerTimeout) }
            _ = await group.next()
            group.cancelAll()
        }
    }

    /// Sends the status on channel 3 and the close frame.
    private func finish(status: JSONValue, outbound: WebSocketOutboundWriter) async {
        var buffer = ByteBuffer()
        buffer.writeInteger(Channel.status)
        status.write(into: &buffer)
        try? await outbound.write(.binary(buffer))
        try? await outbound.close(.normalClosure, reason: nil)
    }

    /// Copies the client's stdin messages to the process until the client closes; a client gone before
    /// the process ended takes the process with it.
    private static func pumpInput(inbound: WebSocketInboundStream, process: HostProcess, v5: Bool) async {
        do {
            for try await message in inbound.messages(maxSize: 1 << 24) {
                guard case .binary(var buffer) = message, let channel = buffer.readInteger(as: UInt8.self) else {
                    continue
                }
                switch channel {
                case Channel.stdin:
                    if let bytes = buffer.readBytes(length: buffer.readableBytes), !bytes.isEmpty {
                        process.writeInput(bytes)
                    }
                case Channel.close where v5:
                    if buffer.readInteger(as: UInt8.self) == Channel.stdin { process.closeInput() }
                default:
                    break  // resize (no terminal), or output channels a client has no business writing
                }
            }
        } catch {
            // The connection failed: same as the client going away.
        }
        process.closeInput()
        if !Task.isCancelled { process.forceStop() }
    }

    /// The kubelet's status for an exit code (pkg/kubelet/cri/streaming/remotecommand/exec.go).
    static func exitStatus(_ code: Int32, command: [String]) -> JSONValue {
        guard code != 0 else { return ["metadata": [:], "status": "Success"] }
        return [
            "metadata": [:], "status": "Failure",
            "message": .string(
                "command terminated with non-zero exit code: error executing command "
                    + "[\(command.joined(separator: " "))], exit code \(code)"
            ),
            "reason": "NonZeroExitCode",
            "details": ["causes": [["reason": "ExitCode", "message": .string(String(code))]]],
        ]
    }

    /// An internal error as the status of the stream.
    static func internalError(_ message: String) -> JSONValue {
        [
            "metadata": [:], "status": "Failure", "message": .string("Internal error occurred: \(message)"),
            "reason": "InternalError", "details": ["causes": [["message": .string(message)]]], "code": 500,
        ]
    }
}

/// Decides whether a WebSocket upgrade request is an exec the sandbox accepts: authenticated, a
/// `pods/exec` path, a subprotocol it speaks and a container it can run the command in. Anything else is
/// not upgraded; the client (kubectl falls back to SPDY, Lifeboat's client asks again without upgrading)
/// then gets the API's error from the ordinary handler, which checks the same things.
enum ExecUpgrade {
    static func decide(
        _ request: HTTPRequest,
        core: SandboxCore,
        logger: Logger
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard request.headerFields[.authorization] == "Bearer \(core.token)" else { return .dontUpgrade }
        let target = request.path ?? ""
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? ""
        let query = parts.count > 1 ? String(parts[1]) : ""
        guard case (.exec, let namespace, let name)? = APIRoute.parse(path, registry: core.registry).podSubresource,
            let subprotocol = ExecRequest.negotiate(request.headerFields[.secWebSocketProtocol])
        else { return .dontUpgrade }
        let exec = ExecRequest(rawQuery: query)
        guard let (_, invocation) = try? await exec.resolve(core: core, namespace: namespace, name: name) else {
            return .dontUpgrade
        }
        let session = ExecSession(request: exec, invocation: invocation, subprotocol: subprotocol, logger: logger)
        let handler: WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context> = { inbound, outbound, _ in
            await session.run(inbound: inbound, outbound: outbound)
        }
        return .upgrade([.secWebSocketProtocol: subprotocol], handler)
    }
}
