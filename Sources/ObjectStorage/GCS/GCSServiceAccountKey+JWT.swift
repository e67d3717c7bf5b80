public import Foundation
import _CryptoExtras

extension GCSServiceAccountKey {
    /// The OAuth 2.0 scope the store asks for.
    public static let readWriteScope = "https://www.googleapis.com/auth/devstorage.read_write"

    /// A signed JWT (RS256) for the bearer grant of RFC 7523: `iss` the service account, `aud` the token URI,
    /// valid for `lifetime` seconds from `now` (Google accepts at most one hour).
    public func assertion(scope: String = readWriteScope, now: Date, lifetime: Int = 3600) throws -> String {
        let issued = Int(now.timeIntervalSince1970)
        let header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        let claims: [String: Any] = [
            "iss": clientEmail, "scope": scope, "aud": tokenURI, "iat": issued, "exp": issued + lifetime,
        ]
        let signingInput =
            try Self.base64URL(JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) + "."
            + Self.base64URL(JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let signature = try sign(Data(signingInput.utf8))
        return signingInput + "." + Self.base64URL(signature)
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 of `data` (JWT `RS256`, `GOOG4-RSA-SHA256`).
    func sign(_ data: Data) throws -> Data {
        do {
            return try privateKey.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation
        } catch {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "cannot sign with the private key of service account \(clientEmail)",
                cause: error
            )
        }
    }

    /// Base64url without padding (RFC 7515).
    static func base64URL(_ data: Data) -> String {
        var text = data.base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
