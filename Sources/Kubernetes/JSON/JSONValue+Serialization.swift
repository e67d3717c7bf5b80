public import NIOCore

extension JSONValue {
    /// Serializes to JSON text (UTF-8), like Go's `encoding/json` as the API server writes it.
    ///
    /// - Compact output has no whitespace; `pretty` uses 4-space indentation like `kubectl get -o json`
    ///   (and no trailing newline).
    /// - Escaping matches Go with HTML escaping on (the API server's default): `"`, `\`, control
    ///   characters (`\n`, `\r`, `\t`, `\b`, `\f`, others `\u00XX`), and `<`, `>`, `&`, U+2028, U+2029
    ///   as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`. Parsing the output gives back the same value.
    /// - Integral doubles below 1e21 print without a fraction (`1`, not `1.0`); non-finite doubles print as `null`.
    public func encoded(pretty: Bool = false) -> [UInt8] {
        encoded(indentWidth: pretty ? 4 : 0)
    }

    /// Serializes to JSON text indented by `indentWidth` spaces per level (`0`: compact), with the escaping of
    /// ``encoded(pretty:)``.
    ///
    /// `indentWidth: 2` is Go's `json.MarshalIndent(v, "", "  ")`, which apimachinery's pretty JSON serializer
    /// writes (Velero's `velero-backup.json`): one member or element per line, `": "` after keys, `{}` and `[]`
    /// for empty objects and arrays, no trailing newline.
    public func encoded(indentWidth: Int) -> [UInt8] {
        var writer = JSONWriter(out: [], indentWidth: max(0, indentWidth))
        writer.out.reserveCapacity(256)
        writer.write(self, indent: 0)
        return writer.out
    }

    /// Appends the compact JSON text to `buffer`.
    public func write(into buffer: inout ByteBuffer, pretty: Bool = false) {
        buffer.writeBytes(encoded(pretty: pretty))
    }

    /// The compact JSON text.
    public var jsonString: String { String(decoding: encoded(), as: UTF8.self) }

    /// The indented JSON text (4 spaces, like `kubectl get -o json`).
    public var prettyJSONString: String { String(decoding: encoded(pretty: true), as: UTF8.self) }
}

/// Appends JSON text to a byte array.
struct JSONWriter {
    var out: [UInt8]
    /// Spaces per nesting level; `0` writes compact JSON.
    let indentWidth: Int
    var pretty: Bool { indentWidth > 0 }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func newline(_ indent: Int) {
        out.append(0x0A)
        for _ in 0..<(indent * indentWidth) { out.append(0x20) }
    }

    mutating func write(_ value: JSONValue, indent: Int) {
        switch value {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b):
            if b {
                out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
            } else {
                out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
            }
        case .int(let i): writeInt(i)
        case .double(let d): writeDouble(d)
        case .string(let s): writeString(s)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            if a.isEmpty {
                out.append(UInt8(ascii: "]"))
                return
            }
            var first = true
            for element in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                if pretty { newline(indent + 1) }
                write(element, indent: indent + 1)
            }
            if pretty { newline(indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            if o.isEmpty {
                out.append(UInt8(ascii: "}"))
                return
            }
            var first = true
            for (key, element) in o {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                if pretty { newline(indent + 1) }
                writeString(key)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(0x20) }
                write(element, indent: indent + 1)
            }
            if pretty { newline(indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    mutating func writeInt(_ i: Int64) {
        if i >= 0 && i < 10 {
            out.append(UInt8(ascii: "0") + UInt8(i))
            return
        }
        var magnitude = i.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            while magnitude > 0 {
                scratch[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if i < 0 { out.append(UInt8(ascii: "-")) }
            while count > 0 {
                count -= 1
                out.append(scratch[count])
            }
        }
    }

    mutating func writeDouble(_ d: Double) {
        guard d.isFinite else {
            out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
            return
        }
        if d == d.rounded(), abs(d) < 1e18 {
            if d == 0 && d.sign == .minus {
                out.append(contentsOf: Array("-0".utf8))
                return
            }
            writeInt(Int64(d))
            return
        }
        out.append(contentsOf: d.description.utf8)
    }

    mutating func writeString(_ s: String) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            var i = 0
            let n = bytes.count
            while i < n {
                let b = bytes[i]
                let needsEscape: Bool
                switch b {
                case 0x00..<0x20, UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "<"), UInt8(ascii: ">"),
                    UInt8(ascii: "&"):
                    needsEscape = true
                case 0xE2:
                    needsEscape = i + 2 < n && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9)
                default:
                    needsEscape = false
                }
                if !needsEscape {
                    i += 1
                    continue
                }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                switch b {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                case 0xE2:
                    out.append(contentsOf: [
                        0x5C, UInt8(ascii: "u"), UInt8(ascii: "2"), UInt8(ascii: "0"), UInt8(ascii: "2"),
                    ])
                    out.append(bytes[i + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9"))
                    i += 2
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    out.append(JSONWriter.hex[Int(b >> 4)])
                    out.append(JSONWriter.hex[Int(b & 0xF)])
                }
                i += 1
                runStart = i
            }
            if runStart < n { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<n])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
