import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on 127.0.0.1 that injects faults in front of an HTTP server (e.g. moto), for retry tests and the
/// fault soak (`lifeboat-bench faults`); `ObjectStorageTesting` re-exports it.
///
/// Each accepted connection takes the next planned fault (if any) and is otherwise forwarded byte for
/// byte. Faults:
/// - `.slowDown`: reads the request head, answers `503 SlowDown` (S3's throttling reply) and closes;
/// - `.internalError`: the same with `500 InternalError`;
/// - `.drop`: closes the connection as soon as the request starts to arrive (a connection reset);
/// - `.truncateResponse(after:)`: forwards, but cuts the server's answer after that many bytes;
/// - `.slowResponse(delay:)`: holds the request that long before forwarding it (a slow server: the answer's first
///   byte comes `delay` late; a client that gives up first closes the connection and nothing is forwarded).
///
/// ```swift
/// let proxy = try await FaultInjectingProxy.start(upstreamPort: moto.port)
/// proxy.plan([.slowDown, .drop])
/// ```
public final class FaultInjectingProxy: Sendable {
    public enum Fault: Sendable, Equatable {
        case slowDown, internalError, drop
        case truncateResponse(after: Int)
        case slowResponse(delay: Duration)
    }

    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private let channel: any Channel
    private let state: Shared

    final class Shared: Sendable {
        let faults = Mutex<[Fault]>([])
        let connections = Mutex(0)
        let injected = Mutex(0)

        /// Faults drawn at random for connections when none is planned: (probability, faults, generator state).
        let random = Mutex<(rate: Double, among: [Fault], state: UInt64)>((0, [], 0))

        func nextFault() -> Fault? {
            connections.withLock { $0 += 1 }
            let fault = faults.withLock { $0.isEmpty ? nil : $0.removeFirst() } ?? randomFault()
            if fault != nil { injected.withLock { $0 += 1 } }
            return fault
        }

        private func randomFault() -> Fault? {
            random.withLock { random -> Fault? in
                guard random.rate > 0, !random.among.isEmpty else { return nil }
                // SplitMix64: reproducible from the seed.
                random.state &+= 0x9E37_79B9_7F4A_7C15
                var z = random.state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                let draw = Double(z >> 11) / Double(UInt64(1) << 53)
                guard draw < random.rate else { return nil }
                return random.among[Int(z % UInt64(random.among.count))]
            }
        }
    }

    private init(channel: any Channel, port: Int, state: Shared) {
        self.channel = channel
        self.port = port
        self.state = state
    }

    /// Queues faults for the next connections, in order.
    public func plan(_ faults: [Fault]) {
        state.faults.withLock { $0.append(contentsOf: faults) }
    }

    /// Injects one of `faults`, chosen at random, into each connection with probability `rate` when no fault is
    /// planned (a soak's steady fault rate); reproducible from `seed`.
    public func injectRandomly(rate: Double, among faults: [Fault], seed: UInt64) {
        state.random.withLock { $0 = (max(0, min(1, rate)), faults, seed) }
    }

    /// Faults planned but not used yet.
    public var pendingFaults: Int { state.faults.withLock { $0.count } }
    /// Faults injected so far.
    public var injectedFaults: Int { state.injected.withLock { $0 } }
    /// Connections accepted so far.
    public var connections: Int { state.connections.withLock { $0 } }

    /// Starts the proxy on a free loopback port, forwarding to `127.0.0.1:upstreamPort`.
    public static func start(upstreamPort: Int) async throws -> FaultInjectingProxy {
        let state = Shared()
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                let fault = state.nextFault()
                return inbound.pipeline.addHandler(
                    ProxyFrontHandler(fault: fault, upstreamPort: upstreamPort)
                )
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw LocalServerError("proxy has no local port")
        }
        return FaultInjectingProxy(channel: channel, port: port, state: state)
    }

    /// Stops accepting connections.
    public func stop() async {
        try? await channel.close()
    }
}

/// The client-facing side of one proxied connection.
final class ProxyFrontHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: all state is touched on the inbound channel's event loop only
    // (the upstream handler hops back to it before calling in).
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let fault: FaultInjectingProxy.Fault?
    let upstreamPort: Int
    var upstream: (any Channel)?
    var pending: [ByteBuffer] = []
    var head = ""
    var answered = false

    init(fault: FaultInjectingProxy.Fault?, upstreamPort: Int) {
        self.fault = fault
        self.upstreamPort = upstreamPort
    }

    func channelActive(context: ChannelHandlerContext) {
        switch fault {
        case .drop, .slowDown, .internalError:
            return
        case .truncateResponse(let limit):
            connectUpstream(inbound: context.channel, eventLoop: context.eventLoop, limit: limit)
        case .slowResponse(let delay):
            let (inbound, eventLoop) = (context.channel, context.eventLoop)
            let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
            eventLoop.scheduleTask(in: TimeAmount(delay)) {
                guard inbound.isActive else { return }
                loopBound.value.connectUpstream(inbound: inbound, eventLoop: eventLoop, limit: nil)
            }
        case nil:
            connectUpstream(inbound: context.channel, eventLoop: context.eventLoop, limit: nil)
        }
    }

    private func connectUpstream(inbound: any Channel, eventLoop: any EventLoop, limit: Int?) {
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        ClientBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.pipeline.addHandler(ProxyBackHandler(inbound: inbound, limit: limit))
            }
            .connect(host: "127.0.0.1", port: upstreamPort)
            .hop(to: eventLoop)
            .whenComplete { result in
                let handler = loopBound.value
                switch result {
                case .success(let channel):
                    handler.upstream = channel
                    for buffer in handler.pending { channel.write(buffer, promise: nil) }
                    handler.pending = []
                    channel.flush()
                case .failure:
                    inbound.close(promise: nil)
                }
            }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch fault {
        case .drop:
            context.close(promise: nil)
        case .slowDown, .internalError:
            guard !answered else { return }
            head += String(buffer: buffer)
            guard head.contains("\r\n\r\n") else { return }
            answered = true
            let (status, code) =
                fault == .slowDown ? ("503 Slow Down", "SlowDown") : ("500 Internal Server Error", "InternalError")
            let body =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>injected by the test proxy</Message></Error>"
            let response =
                "HTTP/1.1 \(status)\r\nContent-Type: application/xml\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in
                channel.close(promise: nil)
            }
        default:
            if let upstream {
                upstream.writeAndFlush(buffer, promise: nil)
            } else {
                pending.append(buffer)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstream?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The server-facing side: copies answers back to the client, optionally cutting them short.
final class ProxyBackHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: state is only touched on the upstream channel's event loop.
    typealias InboundIn = ByteBuffer

    let inbound: any Channel
    var remaining: Int?

    init(inbound: any Channel, limit: Int?) {
        self.inbound = inbound
        self.remaining = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if let left = remaining {
            if buffer.readableBytes >= left {
                let slice = buffer.readSlice(length: left) ?? ByteBuffer()
                remaining = 0
                let inbound = self.inbound
                inbound.writeAndFlush(slice).whenComplete { _ in inbound.close(promise: nil) }
                context.close(promise: nil)
                return
            }
            remaining = left - buffer.readableBytes
        }
        inbound.writeAndFlush(buffer, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbound.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
