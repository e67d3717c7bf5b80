import Foundation

/// Produces the Authorization header for each request: static token, token file (re-read when its
/// modification time changes), basic auth, or an exec credential plugin (cached until its
/// `status.expirationTimestamp`, refreshed early after a 401).
actor Authenticator {
    private let credentials: KubeConfig.Credentials
    private let server: String
    private let caData: [UInt8]?
    private var cachedToken: String?
    private var expiry: Date?
    private var tokenFileModified: Date?

    init(config: KubeConfig) {
        credentials = config.credentials
        server = config.server
        caData = config.tls.certificateAuthorityPEM
    }

    /// The Authorization header value, or nil for anonymous requests.
    func authorization() async throws -> String? {
        switch credentials {
        case .none: return nil
        case .token(let t): return "Bearer " + t
        case .basic(let u, let p): return "Basic " + Data("\(u):\(p)".utf8).base64EncodedString()
        case .tokenFile(let path):
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
            if cachedToken == nil || modified != tokenFileModified {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw KubeError(code: .config, message: "cannot read token file \(path)")
                }
                cachedToken = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                tokenFileModified = modified
            }
            return cachedToken.map { "Bearer " + $0 }
        case .exec(let exec):
            if let cachedToken, expiry.map({ $0.timeIntervalSinceNow > 10 }) ?? true {
                return "Bearer " + cachedToken
            }
            let (token, expiresAt) = try await ExecPlugin.run(exec, server: server, caData: caData)
            cachedToken = token
            expiry = expiresAt
            return "Bearer " + token
        }
    }

    /// Whether retrying after a 401 can help (the credential may be refreshed).
    var canRefresh: Bool {
        switch credentials {
        case .exec, .tokenFile: return true
        default: return false
        }
    }

    /// Forgets a cached credential (after a 401).
    func invalidate() {
        cachedToken = nil
        expiry = nil
        tokenFileModified = nil
    }
}
