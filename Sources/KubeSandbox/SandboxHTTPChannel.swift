import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// The sandbox's HTTP/1 channel: Hummingbird's WebSocket-upgrade channel (for `pods/exec`), where a
/// request asking to upgrade to another protocol is served as an ordinary request.
///
/// kubectl falls back to SPDY (`Upgrade: SPDY/3.1`) when a WebSocket upgrade is refused, and must then get
/// the API's error (`container c is not valid for pod p`). NIO's upgrade handler loses such a request (no
/// upgrader matches, and the request head never reaches the HTTP handler), so the `Upgrade` header of the
/// first request on a connection is dropped unless it asks for a WebSocket.
struct SandboxHTTPChannel: ServerChildChannel {
    let base: HTTP1WebSocketUpgradeChannel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1WebSocketUpgradeChannel.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let upgrader = try channel.pipeline.syncOperations.handler(
                type: NIOTypedHTTPServerUpgradeHandler<HTTP1WebSocketUpgradeChannel.UpgradeResult>.self
            )
            try channel.pipeline.syncOperations.addHandler(ForeignUpgradeFilter(), position: .before(upgrader))
            return value
        }
    }

    func handle(value: HTTP1WebSocketUpgradeChannel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Removes an `Upgrade` header that does not ask for a WebSocket from the first request head, then leaves
/// the pipeline (what follows may be WebSocket frames).
final class ForeignUpgradeFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let upgrade = head.headers["upgrade"]
        if !upgrade.isEmpty, !upgrade.contains(where: { $0.lowercased() == "websocket" }) {
            head.headers.remove(name: "upgrade")
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
