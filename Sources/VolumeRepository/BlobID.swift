import Crypto

/// A 32-byte SHA-256 identifier: of a blob's plaintext, or of a stored file's bytes.
package struct BlobID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 bytes as four big-endian words (cheap hashing and comparison).
    var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// Creates an ID from exactly 32 bytes.
    package init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var words = [UInt64](repeating: 0, count: 4)
        for (i, b) in bytes.enumerated() { words[i / 8] = (words[i / 8] << 8) | UInt64(b) }
        (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3])
    }

    /// Parses 64 lowercase or uppercase hex characters.
    package init?(hex: String) {
        self.init(hexBytes: Array(hex.utf8))
    }

    /// Parses 64 hex characters given as ASCII bytes.
    init?(hexBytes utf8: [UInt8]) {
        guard utf8.count == 64 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for i in 0..<64 {
            guard let n = Self.nibble(utf8[i]) else { return nil }
            switch i / 16 {
            case 0: words.0 = words.0 << 4 | UInt64(n)
            case 1: words.1 = words.1 << 4 | UInt64(n)
            case 2: words.2 = words.2 << 4 | UInt64(n)
            default: words.3 = words.3 << 4 | UInt64(n)
            }
        }
        (w0, w1, w2, w3) = words
    }

    /// SHA-256 of `data`.
    package static func hash(_ data: [UInt8]) -> BlobID {
        data.withUnsafeBytes { BlobID(digest: SHA256.hash(data: $0)) }
    }

    /// SHA-256 of raw bytes.
    package static func hash(_ buffer: UnsafeRawBufferPointer) -> BlobID {
        BlobID(digest: SHA256.hash(data: buffer))
    }

    /// Builds an ID from a SHA-256 digest (always 32 bytes).
    init(digest: SHA256.Digest) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        digest.withUnsafeBytes { raw in
            func word(_ i: Int) -> UInt64 {
                var w: UInt64 = 0
                for j in 0..<8 { w = w << 8 | UInt64(raw[i * 8 + j]) }
                return w
            }
            words = (word(0), word(1), word(2), word(3))
        }
        (w0, w1, w2, w3) = words
    }

    /// The 32 bytes.
    package var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for w in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: w >> UInt64(shift)))
            }
        }
        return out
    }

    /// Lowercase hex, 64 characters.
    package var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first 8 hex characters, as restic prints IDs.
    package var short: String { String(hex.prefix(8)) }

    package var description: String { hex }

    /// Orders IDs by their bytes.
    package static func < (a: BlobID, b: BlobID) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The two kinds of blobs stored in packs.
package enum BlobType: UInt8, Sendable, Hashable, Codable {
    case data = 0
    case tree = 1

    /// The name used in index JSON.
    package var name: String { self == .data ? "data" : "tree" }
}

/// A blob's identity in the index: its type and ID.
package struct BlobHandle: Hashable, Sendable {
    package var id: BlobID
    package var type: BlobType
    package init(id: BlobID, type: BlobType) {
        self.id = id
        self.type = type
    }
}
