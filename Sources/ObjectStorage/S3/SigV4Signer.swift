import Crypto

public import struct Foundation.Date

/// AWS Signature Version 4 request signing (header-based), as a pure value type.
///
/// The signer builds the canonical request from the raw (unencoded) path, the query pairs and the
/// headers, so the same strings are used to send and to sign: `encodedPath(_:)` and
/// `canonicalQuery(_:)` give the wire forms. S3 paths are encoded once (no double encoding and no
/// normalization), which is also what the published test vectors' canonical URIs show.
///
/// ```swift
/// let signer = SigV4Signer(credentials: creds, region: "us-east-1", service: "s3")
/// let headers = signer.signedHeaders(method: "GET", path: "/bucket/key", query: [], headers: [("host", host)],
///                                    payloadHash: SigV4Signer.emptyPayloadHash, date: Date())
/// ```
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    /// SHA-256 of the empty string.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// The payload hash for bodies that are not hashed (streamed over TLS).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    // MARK: - Encoding

    /// RFC 3986 percent-encoding of everything but unreserved characters (`A-Z a-z 0-9 - _ . ~`),
    /// with upper-case hex; `/` is kept when `keepSlash`.
    public static func uriEncode(_ string: String, keepSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The path as sent on the wire and signed: each segment encoded, `/` kept.
    public static func encodedPath(_ rawPath: String) -> String {
        let path = rawPath.isEmpty ? "/" : rawPath
        return uriEncode(path, keepSlash: true)
    }

    /// The canonical (and wire) query string: pairs encoded, sorted by name then value.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (uriEncode($0.0), uriEncode($0.1)) }
            .sorted {
                $0.0 == $1.0
                    ? $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Header values trimmed, inner runs of spaces collapsed.
    static func canonicalValue(_ value: String) -> String {
        var out = ""
        var lastWasSpace = false
        for ch in value.trimming(" \t") {
            if ch == " " || ch == "\t" {
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
            } else {
                out.append(ch)
                lastWasSpace = false
            }
        }
        return out
    }

    // MARK: - Signing steps

    /// `20150830T123600Z`.
    public static func amzDate(_ date: Date) -> String {
        UTCDateFormat.compactISO8601(date)
    }

    /// The canonical request and the signed-headers list. `headers` must include `host` and `x-amz-date`.
    public func canonicalRequest(
        method: String,
        path: String,
        query: [(String, String)],
        headers: [(String, String)],
        payloadHash: String
    ) -> (text: String, signedHeaders: String) {
        var merged: [String: [String]] = [:]
        var order: [String] = []
        for (name, value) in headers {
            let lower = name.lowercased()
            if merged[lower] == nil { order.append(lower) }
            merged[lower, default: []].append(Self.canonicalValue(value))
        }
        let names = order.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonicalHeaders = names.map { "\($0):\(merged[$0, default: []].joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let text = [
            method, Self.encodedPath(path), Self.canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// `<date>/<region>/<service>/aws4_request`.
    public func scope(_ date: Date) -> String {
        "\(String(Self.amzDate(date).prefix(8)))/\(region)/\(service)/aws4_request"
    }

    /// The string to sign for a canonical request.
    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        let hash = Hex.encode(SHA256.hash(data: Array(canonicalRequest.utf8)))
        return "AWS4-HMAC-SHA256\n\(Self.amzDate(date))\n\(scope(date))\n\(hash)"
    }

    /// The hex signature of a string to sign.
    public func signature(stringToSign: String, date: Date) -> String {
        func hmac(_ key: [UInt8], _ text: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
        }
        let day = String(Self.amzDate(date).prefix(8))
        let kDate = hmac(Array(("AWS4" + credentials.secretAccessKey).utf8), day)
        let kRegion = hmac(kDate, region)
        let kService = hmac(kRegion, service)
        let kSigning = hmac(kService, "aws4_request")
        return Hex.encode(hmac(kSigning, stringToSign))
    }

    /// The query of a presigned URL (query-string authentication, as the AWS SDKs' `Presign`): the `X-Amz-*`
    /// parameters that let anyone send `method` on `path` at `host` for `expires` seconds from `date`, signing the
    /// host header only and an unsigned payload; `X-Amz-Signature` comes last.
    public func presignedQuery(method: String, path: String, host: String, date: Date, expires: Int) -> String {
        var query: [(String, String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(date))"),
            ("X-Amz-Date", Self.amzDate(date)),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken, !token.isEmpty { query.append(("X-Amz-Security-Token", token)) }
        let canonical = canonicalRequest(
            method: method,
            path: path,
            query: query,
            headers: [("host", host)],
            payloadHash: Self.unsignedPayload
        )
        let signature = signature(stringToSign: stringToSign(canonicalRequest: canonical.text, date: date), date: date)
        return Self.canonicalQuery(query) + "&X-Amz-Signature=" + signature
    }

    /// The headers to add to a request so it is signed: `x-amz-date`, `x-amz-security-token` (with a
    /// session token) and `authorization`. `headers` are the request's other headers, `host` included.
    public func signedHeaders(
        method: String,
        path: String,
        query: [(String, String)],
        headers: [(String, String)],
        payloadHash: String,
        date: Date
    ) -> [(String, String)] {
        var added = [("x-amz-date", Self.amzDate(date))]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        let canonical = canonicalRequest(
            method: method,
            path: path,
            query: query,
            headers: headers + added,
            payloadHash: payloadHash
        )
        let toSign = stringToSign(canonicalRequest: canonical.text, date: date)
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(date)), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature(stringToSign: toSign, date: date))"
        return added + [("authorization", authorization)]
    }
}
