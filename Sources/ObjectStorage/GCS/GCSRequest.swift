import NIOCore
import NIOHTTP1

/// One GCS JSON-API request: method, URL (without query), query, headers, body, and the key it is about.
struct GCSRequest: Sendable {
    var method: HTTPMethod
    var url: String
    /// The object the request is about, for messages and `.notFound`.
    var key: String?
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    /// The whole body; kept so the request can be re-sent on retry.
    var body: ByteBuffer?
    /// Statuses besides 2xx that answer rather than fail the request (308 Resume Incomplete).
    var accepted: Set<UInt> = []

    /// The URL with its encoded query.
    var fullURL: String { query.isEmpty ? url : url + "?" + GCSPath.query(query) }

    /// `GET name` for logs and messages.
    var summary: String { "\(method) \(key.map { ObjectKey.quoted($0) } ?? url)" }
}
