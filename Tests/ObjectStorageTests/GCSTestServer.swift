import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import _CryptoExtras

@testable import ObjectStorage

/// A tiny fake of Google's token endpoint and of two JSON-API calls on 127.0.0.1, for what the emulator does
/// not check: the JWT bearer grant, `Authorization: Bearer`, listing pages and `ifGenerationMatch`.
///
/// - `POST /token`: checks the grant type and the assertion's RS256 signature, answers token `t`.
/// - `GET /storage/v1/b/bk/o`: three pages of one entry each (`nextPageToken` `p2`, `p3`).
/// - `POST /upload/storage/v1/b/bk/o`: 412 when `ifGenerationMatch=0` (the object "exists"), else 200.
final class GCSTestServer: Sendable {
    struct Seen: Sendable {
        var tokenRequests = 0
        var assertions: [String] = []
        var authorizations: [String] = []
        var queries: [String] = []
    }

    let seen = Mutex(Seen())
    /// The server's own log (start, and the shutdown the test causes) is not shown.
    static let quietLogger: Logger = {
        var logger = Logger(label: "gcs-test-server")
        logger.logLevel = .critical
        return logger
    }()
    let publicKey: _RSA.Signing.PublicKey

    init(publicKey: _RSA.Signing.PublicKey) {
        self.publicKey = publicKey
    }

    /// Runs `body` with the server's port, and stops the server afterwards.
    func run<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/token") { request, _ -> Response in try await self.token(request) }
        router.get("/storage/v1/b/bk/o") { request, _ -> Response in self.listPage(request) }
        router.post("/upload/storage/v1/b/bk/o") { request, _ -> Response in self.upload(request) }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Self.quietLogger
        )
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let result = try await body(port)
            group.cancelAll()
            return result
        }
    }

    private func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    private func record(_ request: Request) {
        let authorization = request.headers[.authorization] ?? ""
        let query = request.uri.query ?? ""
        seen.withLock {
            $0.authorizations.append(authorization)
            $0.queries.append(query)
        }
    }

    private func token(_ request: Request) async throws -> Response {
        let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
        var form: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if parts.count == 2 { form[parts[0]] = parts[1] }
        }
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", let assertion = form["assertion"],
            Self.verify(assertion, with: publicKey)
        else {
            return json(.badRequest, #"{"error":"invalid_grant"}"#)
        }
        seen.withLock {
            $0.tokenRequests += 1
            $0.assertions.append(assertion)
        }
        return json(.ok, #"{"access_token":"t","expires_in":3600,"token_type":"Bearer"}"#)
    }

    private func listPage(_ request: Request) -> Response {
        record(request)
        let item = { (name: String) in
            #"{"name":"\#(name)","size":"3","updated":"2026-01-02T03:04:05.678Z","etag":"e"}"#
        }
        switch request.uri.queryParameters["pageToken"].map(String.init) {
        case nil: return json(.ok, #"{"items":[\#(item("a/1"))],"nextPageToken":"p2"}"#)
        case "p2": return json(.ok, #"{"prefixes":["a/d/"],"nextPageToken":"p3"}"#)
        default: return json(.ok, #"{"items":[\#(item("a/z"))]}"#)
        }
    }

    private func upload(_ request: Request) -> Response {
        record(request)
        if request.uri.queryParameters["ifGenerationMatch"] == "0" {
            return json(
                .preconditionFailed,
                #"{"error":{"code":412,"message":"At least one of the pre-conditions you specified did not hold."}}"#
            )
        }
        return json(.ok, #"{"name":"k","size":"3"}"#)
    }

    /// Whether `jwt`'s RS256 signature is valid under `key`.
    static func verify(_ jwt: String, with key: _RSA.Signing.PublicKey) -> Bool {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = base64URLDecode(parts[2]) else { return false }
        let input = Data("\(parts[0]).\(parts[1])".utf8)
        return key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature),
            for: SHA256.hash(data: input),
            padding: .insecurePKCS1v1_5
        )
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
