/// Percent-encoding for GCS URLs: object names as one path segment, query values, form values.
enum GCSPath {
    /// `s` with every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) percent-encoded, so
    /// `/` becomes `%2F`, a space `%20` and `+` `%2B`.
    static func encode(_ s: String) -> String {
        encode(s, keeping: [])
    }

    /// Like `encode(_:)`, leaving the bytes in `keeping` as they are (`/` for a signed URL's path).
    static func encode(_ s: String, keeping: Set<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            case _ where keeping.contains(byte):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `name=value&…`, each encoded.
    static func query(_ items: [(String, String)]) -> String {
        items.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }
}
