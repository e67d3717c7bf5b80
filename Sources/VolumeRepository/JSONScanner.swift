/// A minimal pull scanner over JSON bytes for the repository's hot formats (tree blobs, index files),
/// several times faster than `JSONDecoder` + Codable. Parsers built on it accept any valid JSON of their
/// shape and throw `Malformed` on anything else; their callers then fall back to `JSONDecoder`, which
/// stays the reference.
struct JSONScanner {
    struct Malformed: Error {}

    let bytes: UnsafeRawBufferPointer
    var i = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Scans `bytes` with `body`, which must consume exactly one value; trailing non-space is malformed.
    static func scan<R>(_ bytes: [UInt8], _ body: (inout JSONScanner) throws -> R) throws -> R {
        try bytes.withUnsafeBytes { raw in
            var p = JSONScanner(raw)
            let result = try body(&p)
            p.skipSpace()
            guard p.i == raw.count else { throw Malformed() }
            return result
        }
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0a || bytes[i] == 0x0d || bytes[i] == 0x09 { i += 1 }
    }

    mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { throw Malformed() }
        i += 1
    }

    /// Consumes `null` if it comes next.
    mutating func null() throws -> Bool {
        skipSpace()
        guard i + 4 <= bytes.count, bytes[i] == 0x6e else { return false }
        guard bytes[i + 1] == 0x75, bytes[i + 2] == 0x6c, bytes[i + 3] == 0x6c else { throw Malformed() }
        i += 4
        return true
    }

    mutating func object(_ member: (inout JSONScanner, _ key: [UInt8]) throws -> Void) throws {
        try delimited(open: 0x7b, close: 0x7d) { s in
            let key = try s.string()
            try s.expect(0x3a)
            try member(&s, key)
        }
    }

    mutating func array(_ element: (inout JSONScanner) throws -> Void) throws {
        try delimited(open: 0x5b, close: 0x5d, element)
    }

    /// `open`, then comma-separated items read by `item` (none is fine), then `close`.
    @inline(__always)
    private mutating func delimited(open: UInt8, close: UInt8, _ item: (inout JSONScanner) throws -> Void) throws {
        try expect(open)
        skipSpace()
        if i < bytes.count, bytes[i] == close {
            i += 1
            return
        }
        while true {
            try item(&self)
            skipSpace()
            guard i < bytes.count else { throw Malformed() }
            if bytes[i] == 0x2c {
                i += 1
                continue
            }
            guard bytes[i] == close else { throw Malformed() }
            i += 1
            return
        }
    }

    /// A JSON string's bytes (escapes decoded; a lone surrogate becomes U+FFFD).
    mutating func string() throws -> [UInt8] {
        try expect(0x22)
        let start = i
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x22 {
                defer { i += 1 }
                return Array(bytes[start..<i])
            }
            if c == 0x5c { break }
            i += 1
        }
        // Escaped characters: decode the rest one by one.
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == 0x22 { return out }
            guard c == 0x5c else {
                out.append(c)
                continue
            }
            guard i < bytes.count else { throw Malformed() }
            let e = bytes[i]
            i += 1
            switch e {
            case 0x22, 0x5c, 0x2f: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0c)
            case 0x6e: out.append(0x0a)
            case 0x72: out.append(0x0d)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A surrogate pair; a lone surrogate becomes U+FFFD, as in Go and Foundation.
                    if i + 6 <= bytes.count, bytes[i] == 0x5c, bytes[i + 1] == 0x75 {
                        let save = i
                        i += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00..<0xE000).contains(scalar) {
                    scalar = 0xFFFD
                }
                guard let u = Unicode.Scalar(scalar) else { throw Malformed() }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw Malformed()
            }
        }
        throw Malformed()
    }

    /// Four hex digits of a `\u` escape.
    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw Malformed() }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let n: UInt32
            switch c {
            case 0x30...0x39: n = UInt32(c - 0x30)
            case 0x61...0x66: n = UInt32(c - 0x61 + 10)
            case 0x41...0x46: n = UInt32(c - 0x41 + 10)
            default: throw Malformed()
            }
            v = v << 4 | n
            i += 1
        }
        return v
    }

    mutating func unsigned() throws -> UInt64 {
        skipSpace()
        var value: UInt64 = 0
        let start = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(bytes[i] - 0x30))
            guard !o1, !o2 else { throw Malformed() }
            value = a
            i += 1
        }
        guard i > start else { throw Malformed() }
        if i < bytes.count, bytes[i] == 0x2e || bytes[i] == 0x65 || bytes[i] == 0x45 { throw Malformed() }
        return value
    }

    /// The deepest nesting `skipValue` follows (the reference decoder's limit); deeper input is malformed.
    static let maximumDepth = 512

    /// Skips one value of any type (an unknown key's value).
    /// - Parameter depth: how many arrays and objects enclose it.
    mutating func skipValue(depth: Int = 0) throws {
        skipSpace()
        guard i < bytes.count, depth < Self.maximumDepth else { throw Malformed() }
        switch bytes[i] {
        case 0x22: _ = try string()
        case 0x7b: try object { p, _ in try p.skipValue(depth: depth + 1) }
        case 0x5b: try array { p in try p.skipValue(depth: depth + 1) }
        default:
            while i < bytes.count, ![0x2c, 0x7d, 0x5d, 0x20, 0x0a, 0x0d, 0x09].contains(bytes[i]) { i += 1 }
        }
    }
}
