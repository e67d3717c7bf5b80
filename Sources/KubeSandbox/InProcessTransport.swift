import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Sends a request straight to the API handler, without a socket or TLS (used by tests and benchmarks
/// that measure the API semantics rather than the network).
struct InProcessTransport: Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
    }

    let handler: APIHandler

    init(core: SandboxCore) {
        handler = APIHandler(core: core)
    }

    /// Performs one request; the body of a streaming (watch) response is collected until it ends.
    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) async -> Reply {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        if !body.isEmpty { fields[.contentLength] = String(body.count) }
        let head = HTTPRequest(
            method: HTTPRequest.Method(method) ?? .get,
            scheme: "https",
            authority: "127.0.0.1",
            path: path,
            headerFields: fields
        )
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let response = await handler.handle(request)
        let collector = Collector()
        try? await response.body.write(collector)
        var replyHeaders: [String: String] = [:]
        for field in response.headers { replyHeaders[field.name.rawName] = field.value }
        return Reply(status: response.status.code, headers: replyHeaders, body: collector.bytes)
    }

    private final class Collector: ResponseBodyWriter, Sendable {
        private let storage = Mutex<[UInt8]>([])
        var bytes: [UInt8] { storage.withLock { $0 } }

        func write(_ buffer: ByteBuffer) async throws {
            storage.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
