import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

import struct Foundation.Data
import struct Foundation.Date
import class Foundation.JSONSerialization

/// OAuth 2.0 access tokens for a service account, obtained with the JWT bearer grant at the key's `token_uri`
/// and reused until a minute before they expire.
actor GCSTokenSource {
    let key: GCSServiceAccountKey
    let scope: String
    let httpClient: HTTPClient
    let retry: RetryPolicy
    let logger: Logger
    let now: @Sendable () -> Date
    private var cached: (token: String, expires: Date)?

    init(
        key: GCSServiceAccountKey,
        scope: String = GCSServiceAccountKey.readWriteScope,
        httpClient: HTTPClient,
        retry: RetryPolicy,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.key = key
        self.scope = scope
        self.httpClient = httpClient
        self.retry = retry
        self.logger = logger
        self.now = now
    }

    /// A valid access token, fetched when there is none or it expires within a minute.
    func token() async throws -> String {
        let current = now()
        if let cached, cached.expires.timeIntervalSince(current) > 60 { return cached.token }
        let (key, scope, httpClient, logger, now) = (key, scope, httpClient, logger, now)
        let operation: @Sendable () async throws -> (String, Int) = {
            try await Self.exchange(key: key, scope: scope, httpClient: httpClient, logger: logger, now: now())
        }
        let (token, lifetime) = try await retry.run("POST \(key.tokenURI)", logger: logger, operation)
        cached = (token, current.addingTimeInterval(Double(lifetime)))
        return token
    }

    /// One token request.
    private static func exchange(
        key: GCSServiceAccountKey,
        scope: String,
        httpClient: HTTPClient,
        logger: Logger,
        now: Date
    ) async throws -> (String, Int) {
        let assertion = try key.assertion(scope: scope, now: now)
        var request = HTTPClientRequest(url: key.tokenURI)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(
            ByteBuffer(
                string: "grant_type=" + GCSPath.encode("urn:ietf:params:oauth:grant-type:jwt-bearer")
                    + "&assertion=" + GCSPath.encode(assertion)
            )
        )
        let what = "token request for service account \(key.clientEmail) to \(key.tokenURI)"
        let status: HTTPResponseStatus
        let body: ByteBuffer
        do {
            let response = try await httpClient.execute(request, deadline: .now() + .seconds(30), logger: logger)
            status = response.status
            body = try await response.body.collect(upTo: 1024 * 1024)
        } catch {
            throw ObjectStoreError(code: .unavailable, message: "\(what) failed", cause: error)
        }
        let text = String(buffer: body)
        switch status.code {
        case 200..<300: break
        case 429, 500...599:
            throw ObjectStoreError(code: .unavailable, message: "\(what) failed with HTTP \(status.code): \(text)")
        default:
            throw ObjectStoreError(code: .accessDenied, message: "\(what) failed with HTTP \(status.code): \(text)")
        }
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let token = object["access_token"] as? String, !token.isEmpty
        else {
            throw ObjectStoreError(code: .http, message: "\(what) answered without an access_token")
        }
        let lifetime = (object["expires_in"] as? Int) ?? (object["expires_in"] as? Double).map { Int($0) } ?? 3600
        return (token, lifetime)
    }
}
