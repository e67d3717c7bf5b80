/// Percent-encoding for paths and query strings.
enum KubeURL {
    private static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E
            || b == 0x5F || b == 0x7E
    }

    private static func escape(_ s: String, extra: (UInt8) -> Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in s.utf8 {
            if isUnreserved(b) || extra(b) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Escapes one path segment.
    static func escapePath(_ s: String) -> String { escape(s) { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "@") } }

    /// Escapes a query key or value.
    static func escapeQuery(_ s: String) -> String { escape(s) { _ in false } }

    /// `?k=v&k2=v2` (empty string for no items).
    static func query(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { escapeQuery($0.0) + "=" + escapeQuery($0.1) }.joined(separator: "&")
    }
}
