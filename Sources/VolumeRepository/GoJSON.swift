/// Writes JSON byte-for-byte as Go's `encoding/json` does (Go 1.19), so tree blob IDs match restic's.
///
/// Keys are written in the order given; strings are escaped like Go (HTML-safe: `<`, `>`, `&`
/// become `\u003c` …; U+2028/2029 escaped; invalid UTF-8 becomes U+FFFD).
struct GoJSON {
    var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func beginObject() {
        separator()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }
    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }
    mutating func beginArray() {
        separator()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }
    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"key":`; the next value follows without a comma.
    mutating func key(_ name: String) {
        separator()
        Self.appendString(Array(name.utf8), to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ s: String) { stringBytes(Array(s.utf8)) }
    mutating func stringBytes(_ s: [UInt8]) {
        separator()
        Self.appendString(s, to: &bytes)
        needsComma = true
    }
    mutating func raw(_ s: String) {
        separator()
        bytes += Array(s.utf8)
        needsComma = true
    }
    mutating func uint(_ v: UInt64) { raw(String(v)) }
    mutating func int(_ v: Int64) { raw(String(v)) }
    mutating func bool(_ v: Bool) { raw(v ? "true" : "false") }
    mutating func null() { raw("null") }

    mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }
    mutating func field(_ name: String, _ value: UInt64) {
        key(name)
        uint(value)
    }
    mutating func stringArray(_ name: String, _ values: [String]) {
        key(name)
        beginArray()
        for v in values { string(v) }
        endArray()
    }

    private mutating func separator() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends `s` as a quoted JSON string with Go's escaping rules.
    static func appendString(_ s: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var i = 0
        let n = s.count
        while i < n {
            let b = s[i]
            if b < 0x80 {
                switch b {
                case UInt8(ascii: "\""): out += [0x5c, 0x22]
                case UInt8(ascii: "\\"): out += [0x5c, 0x5c]
                case UInt8(ascii: "\n"): out += [0x5c, UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): out += [0x5c, UInt8(ascii: "r")]
                case UInt8(ascii: "\t"): out += [0x5c, UInt8(ascii: "t")]
                case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                    out += Array("\\u00".utf8)
                    out.append(hex[Int(b >> 4)])
                    out.append(hex[Int(b & 0xf)])
                default: out.append(b)
                }
                i += 1
                continue
            }
            let (scalar, width) = UTF8Decoding.decode(s, at: i)
            guard let scalar else {
                out += Array("\\ufffd".utf8)
                i += 1
                continue
            }
            if scalar.value == 0x2028 || scalar.value == 0x2029 {
                out += Array((scalar.value == 0x2028 ? "\\u2028" : "\\u2029").utf8)
            } else {
                out += s[i..<(i + width)]
            }
            i += width
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Strict UTF-8 decoding of one scalar, as Go's `utf8.DecodeRune` (no surrogates, no overlongs).
enum UTF8Decoding {
    /// Returns the scalar at `i` and its width, or `(nil, 1)` for an invalid byte.
    static func decode(_ s: [UInt8], at i: Int) -> (Unicode.Scalar?, Int) {
        let b0 = s[i]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        func cont(_ k: Int) -> UInt32? {
            guard i + k < s.count, s[i + k] & 0xc0 == 0x80 else { return nil }
            return UInt32(s[i + k] & 0x3f)
        }
        if b0 >= 0xc2 && b0 <= 0xdf, let c1 = cont(1) {
            return (Unicode.Scalar(UInt32(b0 & 0x1f) << 6 | c1), 2)
        }
        if b0 >= 0xe0 && b0 <= 0xef, let c1 = cont(1), let c2 = cont(2) {
            let v = UInt32(b0 & 0x0f) << 12 | c1 << 6 | c2
            if v < 0x800 || (v >= 0xd800 && v <= 0xdfff) { return (nil, 1) }
            return (Unicode.Scalar(v), 3)
        }
        if b0 >= 0xf0 && b0 <= 0xf4, let c1 = cont(1), let c2 = cont(2), let c3 = cont(3) {
            let v = UInt32(b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
            if v < 0x10000 || v > 0x10ffff { return (nil, 1) }
            return (Unicode.Scalar(v), 4)
        }
        return (nil, 1)
    }

    static func isValid(_ s: [UInt8]) -> Bool {
        var i = 0
        while i < s.count {
            let (scalar, width) = decode(s, at: i)
            if scalar == nil { return false }
            i += width
        }
        return true
    }
}
