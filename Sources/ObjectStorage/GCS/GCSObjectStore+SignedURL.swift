import Crypto

import struct Foundation.Data
import struct Foundation.Date

extension GCSObjectStore {
    /// A V4 signed GET URL of `key` (`X-Goog-Algorithm=GOOG4-RSA-SHA256`), valid for `validFor` (at most 7 days),
    /// signed with the service account's key, on the store's endpoint (path style: `/bucket/object`).
    /// - Throws: `.invalidConfiguration` when the store has no service-account key (an emulator, anonymous).
    public func downloadURL(_ key: String, validFor: Duration) async throws -> String {
        try ObjectKey.validate(key)
        guard case .serviceAccount(let account) = credentials else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message:
                    "signed download URLs for gcp need a service-account key (object \(ObjectKey.quoted(key)) in \(bucketDescription) has none)"
            )
        }
        let seconds = Int(min(max(validFor.components.seconds, 1), 7 * 24 * 3600))
        return try Self.signedURL(
            endpoint: configuration.endpoint,
            bucket: configuration.bucket,
            key: key,
            account: account,
            date: now(),
            expires: seconds
        )
    }

    /// The V4 signed URL, as Google documents it: the canonical request is
    /// `GET \n path \n query \n host:H\n \n host \n UNSIGNED-PAYLOAD`; the string to sign is
    /// `GOOG4-RSA-SHA256 \n date \n scope \n hex(SHA-256(canonical request))`; the signature is hex.
    static func signedURL(
        endpoint: String,
        bucket: String,
        key: String,
        account: GCSServiceAccountKey,
        date: Date,
        expires: Int
    ) throws -> String {
        let host = hostHeader(of: endpoint)
        let timestamp = UTCDateFormat.compactISO8601(date)
        let scope = "\(timestamp.prefix(8))/auto/storage/goog4_request"
        let path = "/" + GCSPath.encode(bucket) + "/" + GCSPath.encode(key, keeping: [UInt8(ascii: "/")])
        let query = [
            ("X-Goog-Algorithm", "GOOG4-RSA-SHA256"),
            ("X-Goog-Credential", "\(account.clientEmail)/\(scope)"),
            ("X-Goog-Date", timestamp),
            ("X-Goog-Expires", "\(expires)"),
            ("X-Goog-SignedHeaders", "host"),
        ].sorted { $0.0 < $1.0 }
        let canonicalQuery = GCSPath.query(query)
        let canonicalRequest = ["GET", path, canonicalQuery, "host:\(host)", "", "host", "UNSIGNED-PAYLOAD"]
            .joined(separator: "\n")
        let stringToSign = [
            "GOOG4-RSA-SHA256", timestamp, scope, Hex.encode(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        let signature = Hex.encode(try account.sign(Data(stringToSign.utf8)))
        return endpoint + path + "?" + canonicalQuery + "&X-Goog-Signature=" + signature
    }

    /// `host[:port]` of `scheme://host[:port][/…]`.
    static func hostHeader(of endpoint: String) -> String {
        var rest = Substring(endpoint)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.prefix { $0 != "/" })
    }
}
