/// A parsed endpoint URL: scheme, host, optional port and base path.
struct S3Endpoint: Sendable, CustomStringConvertible {
    var tls: Bool
    var host: String
    var port: Int?
    /// Base path without trailing `/` (usually empty).
    var basePath: String

    init?(_ url: String) {
        var rest = Substring(url)
        if rest.hasPrefix("https://") {
            tls = true
            rest = rest.dropFirst(8)
        } else if rest.hasPrefix("http://") {
            tls = false
            rest = rest.dropFirst(7)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
        if authority.hasPrefix("[") {  // IPv6 literal
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[...close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { return nil }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
        } else {
            host = String(authority)
        }
        if host.isEmpty || host.contains("@") { return nil }
    }

    /// `host` or `host:port` as sent in the Host header.
    var hostHeader: String {
        guard let port, port != (tls ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }

    var description: String { "\(tls ? "https" : "http")://\(hostHeader)\(basePath)" }
}
