public import _CryptoExtras

import struct Foundation.Data
import class Foundation.JSONSerialization

/// A Google service-account JSON key, as `gcloud iam service-accounts keys create` writes it (the file
/// `GOOGLE_APPLICATION_CREDENTIALS` names, Velero's `credentials-velero`).
///
/// Only the fields the store uses are kept: `client_email`, `private_key` (PEM) and `token_uri`.
public struct GCSServiceAccountKey: Sendable {
    /// Google's OAuth 2.0 token endpoint, used when the key has no `token_uri`.
    public static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// The service account (`name@project.iam.gserviceaccount.com`).
    public var clientEmail: String
    /// The key that signs token requests and download URLs.
    public var privateKey: _RSA.Signing.PrivateKey
    /// Where access tokens are obtained.
    public var tokenURI: String

    public init(clientEmail: String, privateKey: _RSA.Signing.PrivateKey, tokenURI: String = defaultTokenURI) {
        self.clientEmail = clientEmail
        self.privateKey = privateKey
        self.tokenURI = tokenURI
    }

    /// Parses a service-account key file.
    /// - Parameters:
    ///   - text: the file's content.
    ///   - source: names the file in error messages (`credentials file /x.json`).
    /// - Throws: `.invalidConfiguration` naming `source` and the missing or bad field.
    public init(json text: String, source: String) throws {
        func problem(_ message: String, cause: (any Error)? = nil) -> ObjectStoreError {
            ObjectStoreError(code: .invalidConfiguration, message: "\(source): \(message)", cause: cause)
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw problem("not a JSON service-account key", cause: error)
        }
        guard let object = parsed as? [String: Any] else { throw problem("not a JSON object") }
        func field(_ name: String, required: Bool = true) throws -> String? {
            guard let raw = object[name] else {
                if required { throw problem("field \"\(name)\" is missing") }
                return nil
            }
            guard let value = raw as? String, !value.isEmpty else {
                throw problem("field \"\(name)\" is not a non-empty string")
            }
            return value
        }
        let type = try field("type") ?? ""
        guard type == "service_account" else {
            throw problem(
                "field \"type\" is \"\(type)\"; only \"service_account\" keys are supported "
                    + "(create one with `gcloud iam service-accounts keys create`)"
            )
        }
        let email = try field("client_email") ?? ""
        let pem = try field("private_key") ?? ""
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw problem("field \"private_key\" is not a PEM RSA private key", cause: error)
        }
        let tokenURI = try field("token_uri", required: false) ?? Self.defaultTokenURI
        guard tokenURI.hasPrefix("https://") || tokenURI.hasPrefix("http://") else {
            throw problem("field \"token_uri\" is not an http(s) URL")
        }
        self.init(clientEmail: email, privateKey: key, tokenURI: tokenURI)
    }
}
