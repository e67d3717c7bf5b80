import NIOCore
import NIOHTTP1

/// One S3 request before signing: method, object key (or none for bucket requests), query, headers, body.
struct S3Request: Sendable {
    var method: HTTPMethod
    var key: String?
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    /// The whole body; kept so the request can be re-sent on retry.
    var body: ByteBuffer?

    init(
        method: HTTPMethod,
        key: String?,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil
    ) {
        self.method = method
        self.key = key
        self.query = query
        self.headers = headers
        self.body = body
    }
}
