import Crypto
import _CryptoExtras

import struct Foundation.Data

/// restic's master key: AES-256 for encryption plus Poly1305-AES `k` and `r` for the MAC.
///
/// Every encrypted object is `IV(16) ‖ AES-256-CTR(plaintext) ‖ Poly1305-AES(ciphertext)(16)`.
package struct CryptoKey: Sendable {
    /// AES-256 key (32 bytes).
    let encryptionKey: SymmetricKey
    /// Poly1305-AES `k`: AES-128 key that encrypts the nonce into `s` (16 bytes).
    let macK: SymmetricKey
    /// Poly1305 `r` (16 bytes; clamped when used).
    let macR: [UInt8]

    /// Bytes added by `seal`: IV plus MAC.
    package static let overhead = 32

    init(encryption: [UInt8], macK: [UInt8], macR: [UInt8]) {
        encryptionKey = SymmetricKey(data: encryption)
        self.macK = SymmetricKey(data: macK)
        self.macR = macR
    }

    /// A fresh random master key.
    package static func random() -> CryptoKey {
        CryptoKey(encryption: randomBytes(32), macK: randomBytes(16), macR: randomBytes(16))
    }

    /// Derives a key from 64 bytes of KDF output (bytes 0–31 AES, 32–47 `k`, 48–63 `r`).
    init(derived bytes: [UInt8]) {
        self.init(encryption: Array(bytes[0..<32]), macK: Array(bytes[32..<48]), macR: Array(bytes[48..<64]))
    }

    var encryptionBytes: [UInt8] { encryptionKey.withUnsafeBytes { Array($0) } }
    var macKBytes: [UInt8] { macK.withUnsafeBytes { Array($0) } }

    private func mac(nonce: [UInt8], ciphertext: UnsafeRawBufferPointer) throws -> [UInt8] {
        var s = nonce
        try AES.permute(&s, key: macK)
        return Poly1305.tag(key: macR + s, message: ciphertext)
    }

    /// The three parts of a sealed object, so callers can write them without joining them first.
    struct Sealed {
        var iv: [UInt8]
        var ciphertext: [UInt8]
        var tag: [UInt8]
        var count: Int { iv.count + ciphertext.count + tag.count }
    }

    /// Bytes encrypted per swift-crypto call in `sealParts`. swift-crypto returns each result in a fresh
    /// `Data`; pieces this small come from the allocator's free lists, where a whole multi-MiB blob would be
    /// mapped and faulted in page by page every time.
    static let sealSegment = 64 * 1024

    /// Encrypts and authenticates `plaintext`. With `buffers`, the ciphertext goes into a buffer taken from
    /// that pool (give it back when done with it), so no fresh pages are touched.
    func sealParts(_ plaintext: UnsafeRawBufferPointer, buffers: BufferPool? = nil) throws -> Sealed {
        let iv = Self.newIV()
        var ct = buffers?.take(capacity: plaintext.count) ?? []
        try encrypt(plaintext, iv: iv, appendingTo: &ct)
        let tag = try ct.withUnsafeBytes { try mac(nonce: iv, ciphertext: $0) }
        return Sealed(iv: iv, ciphertext: ct, tag: tag)
    }

    /// Encrypts and authenticates the plaintext in `buffer` (all of its `count` bytes) in place: the
    /// ciphertext replaces it, so a blob compressed straight into a pooled buffer needs no second one.
    func sealInPlace(_ buffer: consuming [UInt8]) throws -> Sealed {
        let iv = Self.newIV()
        // Each piece is encrypted before it is overwritten.
        try buffer.withUnsafeMutableBytes { try encrypt(UnsafeRawBufferPointer($0), iv: iv, into: $0) }
        let tag = try buffer.withUnsafeBytes { try mac(nonce: iv, ciphertext: $0) }
        return Sealed(iv: iv, ciphertext: buffer, tag: tag)
    }

    /// AES-256-CTR of `plaintext` from counter block `iv`, appended to `out`, `sealSegment` bytes per call.
    func encrypt(_ plaintext: UnsafeRawBufferPointer, iv: [UInt8], appendingTo out: inout [UInt8]) throws {
        out.reserveCapacity(out.count + plaintext.count)
        try encryptSegments(plaintext, iv: iv) { _, piece in out.append(contentsOf: piece.bindMemory(to: UInt8.self)) }
    }

    /// AES-256-CTR of `plaintext` from counter block `iv`, written to the start of `out` (which has room for
    /// it, and may be `plaintext` itself).
    func encrypt(_ plaintext: UnsafeRawBufferPointer, iv: [UInt8], into out: UnsafeMutableRawBufferPointer) throws {
        try encryptSegments(plaintext, iv: iv) { offset, piece in
            UnsafeMutableRawBufferPointer(rebasing: out[offset..<(offset + piece.count)]).copyMemory(from: piece)
        }
    }

    /// A random IV, never all zeros.
    static func newIV() -> [UInt8] {
        var iv = randomBytes(16)
        while iv.allSatisfy({ $0 == 0 }) { iv = randomBytes(16) }
        return iv
    }

    /// AES-256-CTR of `plaintext` from counter block `iv`, `sealSegment` bytes per swift-crypto call; `body`
    /// gets each piece's offset and ciphertext, in order.
    private func encryptSegments(
        _ plaintext: UnsafeRawBufferPointer,
        iv: [UInt8],
        _ body: (_ offset: Int, _ piece: UnsafeRawBufferPointer) -> Void
    ) throws {
        var offset = 0
        while offset < plaintext.count {
            let end = min(plaintext.count, offset + Self.sealSegment)
            // The piece at `offset` (a multiple of 16) starts at counter block IV + offset/16.
            let counter = Self.counterBlock(iv, advancedBy: UInt64(offset / 16))
            let piece = try AES._CTR.encrypt(
                UnsafeRawBufferPointer(rebasing: plaintext[offset..<end]),
                using: encryptionKey,
                nonce: AES._CTR.Nonce(nonceBytes: counter)
            )
            piece.withUnsafeBytes { body(offset, $0) }
            offset = end
        }
    }

    /// The 128-bit big-endian counter block `iv + blocks` (as Go's and BoringSSL's CTR modes count).
    static func counterBlock(_ iv: [UInt8], advancedBy blocks: UInt64) -> [UInt8] {
        guard blocks > 0 else { return iv }
        var out = iv
        var carry = blocks
        var i = 15
        while carry > 0 && i >= 0 {
            let sum = UInt64(out[i]) + (carry & 0xff)
            out[i] = UInt8(truncatingIfNeeded: sum)
            carry = (carry >> 8) + (sum >> 8)
            i -= 1
        }
        return out
    }

    /// Encrypts and authenticates `plaintext`, returning `IV ‖ CT ‖ MAC`.
    func seal(_ plaintext: UnsafeRawBufferPointer) throws -> [UInt8] {
        let parts = try sealParts(plaintext)
        var out = [UInt8]()
        out.reserveCapacity(parts.count)
        out += parts.iv
        out += parts.ciphertext
        out += parts.tag
        return out
    }

    /// `seal` for byte arrays.
    package func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { try seal($0) }
    }

    /// Verifies the MAC of `IV ‖ CT ‖ MAC` and decrypts it.
    /// - Throws: `RepositoryError.corrupt` when the MAC does not match.
    func open(_ sealed: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard sealed.count >= Self.overhead else {
            throw RepositoryError(code: .corrupt, message: "ciphertext too short (\(sealed.count) bytes)")
        }
        let iv = Array(sealed[0..<16])
        let ct = UnsafeRawBufferPointer(rebasing: sealed[16..<(sealed.count - 16)])
        let expected = try mac(nonce: iv, ciphertext: ct)
        var diff: UInt8 = 0
        for i in 0..<16 { diff |= expected[i] ^ sealed[sealed.count - 16 + i] }
        guard diff == 0 else { throw RepositoryError(code: .corrupt, message: "ciphertext verification failed") }
        // CTR decryption is encryption: in `sealSegment` pieces straight into the result, as sealing does.
        // One call for the whole blob would fill a new `Data` (zeroed, then written) and copy it again.
        return try [UInt8](unsafeUninitializedCapacity: ct.count) { buffer, initialized in
            let out = UnsafeMutableRawBufferPointer(buffer)
            HugePages.advise(out)
            try encrypt(ct, iv: iv, into: out)
            initialized = ct.count
        }
    }

    /// `open` for byte arrays.
    func open(_ sealed: [UInt8]) throws -> [UInt8] {
        try sealed.withUnsafeBytes { try open($0) }
    }
}

/// Cryptographically secure random bytes.
func randomBytes(_ count: Int) -> [UInt8] {
    var rng = SystemRandomNumberGenerator()
    var out = [UInt8]()
    out.reserveCapacity(count + 8)
    while out.count < count {
        let word = rng.next()
        for k in 0..<8 where out.count < count { out.append(UInt8(truncatingIfNeeded: word >> UInt64(8 * k))) }
    }
    return out
}
