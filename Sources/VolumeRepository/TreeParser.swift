/// A direct parser for tree blob JSON (`{"nodes":[…]}`), much faster than `JSONDecoder` + Codable.
///
/// Trees are parsed for every directory of every incremental backup, restore and check, so this is on
/// the hot path of a no-change backup. It accepts any valid JSON of the tree shape, skips unknown keys
/// (e.g. `generic_attributes`) and throws on malformed input; `Tree(decoding:)` then falls back to
/// `JSONDecoder`, which stays the reference.
struct TreeParser {
    struct Malformed: Error {}

    private let bytes: UnsafeRawBufferPointer
    private var i = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Parses tree blob bytes into nodes.
    static func nodes(_ bytes: [UInt8]) throws -> [Node] {
        try bytes.withUnsafeBytes { raw in
            var p = TreeParser(raw)
            var nodes: [Node] = []
            try p.object { p, key in
                if key == Array("nodes".utf8) {
                    if try p.null() { return }
                    try p.array { p in nodes.append(try p.node()) }
                } else {
                    try p.skipValue()
                }
            }
            p.skipSpace()
            guard p.i == raw.count else { throw Malformed() }
            return nodes
        }
    }

    // MARK: nodes

    private mutating func node() throws -> Node {
        var node = Node(nameBytes: [], type: .file)
        var name: [UInt8]?
        var type: Node.Kind?
        var linkTargetRaw: [UInt8]?
        try object { p, key in
            switch String(decoding: key, as: UTF8.self) {
            case "name": name = GoQuote.unquote(try p.string())
            case "type":
                guard let kind = Node.Kind(rawValue: String(decoding: try p.string(), as: UTF8.self)) else { throw Malformed() }
                type = kind
            case "mode": node.mode = UInt32(truncatingIfNeeded: try p.unsigned())
            case "mtime": node.mtime = try p.time()
            case "atime": node.atime = try p.time()
            case "ctime": node.ctime = try p.time()
            case "uid": node.uid = UInt32(truncatingIfNeeded: try p.unsigned())
            case "gid": node.gid = UInt32(truncatingIfNeeded: try p.unsigned())
            case "user": node.user = String(decoding: try p.string(), as: UTF8.self)
            case "group": node.group = String(decoding: try p.string(), as: UTF8.self)
            case "inode": node.inode = try p.unsigned()
            case "device_id": node.deviceID = try p.unsigned()
            case "size": node.size = try p.unsigned()
            case "links": node.links = try p.unsigned()
            case "device": node.device = try p.unsigned()
            case "linktarget": node.linkTarget = try p.string()
            case "linktarget_raw": linkTargetRaw = try p.string()
            case "error": node.error = String(decoding: try p.string(), as: UTF8.self)
            case "subtree":
                if try p.null() { return }
                guard let id = BlobID(hexBytes: try p.string()) else { throw Malformed() }
                node.subtree = id
            case "content":
                if try p.null() { return }
                var ids: [BlobID] = []
                try p.array { p in
                    guard let id = BlobID(hexBytes: try p.string()) else { throw Malformed() }
                    ids.append(id)
                }
                node.content = ids
            default:
                // extended_attributes and anything newer: rare, let the reference decoder handle them.
                throw Malformed()
            }
        }
        guard let name, let type else { throw Malformed() }
        if linkTargetRaw != nil { throw Malformed() }  // base64 target: reference decoder
        node.nameBytes = name
        node.type = type
        return node
    }

    private mutating func time() throws -> GoTime {
        guard let t = GoTime(rfc3339: String(decoding: try string(), as: UTF8.self)) else { throw Malformed() }
        return t
    }

    // MARK: JSON

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0a || bytes[i] == 0x0d || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { throw Malformed() }
        i += 1
    }

    /// Consumes `null` if it comes next.
    private mutating func null() throws -> Bool {
        skipSpace()
        guard i + 4 <= bytes.count, bytes[i] == 0x6e else { return false }
        guard bytes[i + 1] == 0x75, bytes[i + 2] == 0x6c, bytes[i + 3] == 0x6c else { throw Malformed() }
        i += 4
        return true
    }

    private mutating func object(_ member: (inout TreeParser, _ key: [UInt8]) throws -> Void) throws {
        try expect(0x7b)
        skipSpace()
        if i < bytes.count, bytes[i] == 0x7d {
            i += 1
            return
        }
        while true {
            let key = try string()
            try expect(0x3a)
            try member(&self, key)
            skipSpace()
            guard i < bytes.count else { throw Malformed() }
            if bytes[i] == 0x2c {
                i += 1
                continue
            }
            guard bytes[i] == 0x7d else { throw Malformed() }
            i += 1
            return
        }
    }

    private mutating func array(_ element: (inout TreeParser) throws -> Void) throws {
        try expect(0x5b)
        skipSpace()
        if i < bytes.count, bytes[i] == 0x5d {
            i += 1
            return
        }
        while true {
            try element(&self)
            skipSpace()
            guard i < bytes.count else { throw Malformed() }
            if bytes[i] == 0x2c {
                i += 1
                continue
            }
            guard bytes[i] == 0x5d else { throw Malformed() }
            i += 1
            return
        }
    }

    /// A JSON string's bytes (escapes decoded; a lone surrogate becomes U+FFFD).
    private mutating func string() throws -> [UInt8] {
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
    private mutating func hex4() throws -> UInt32 {
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

    private mutating func unsigned() throws -> UInt64 {
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

    private mutating func skipValue() throws {
        skipSpace()
        guard i < bytes.count else { throw Malformed() }
        switch bytes[i] {
        case 0x22: _ = try string()
        case 0x7b: try object { p, _ in try p.skipValue() }
        case 0x5b: try array { p in try p.skipValue() }
        default:
            while i < bytes.count, ![0x2c, 0x7d, 0x5d, 0x20, 0x0a, 0x0d, 0x09].contains(bytes[i]) { i += 1 }
        }
    }
}
