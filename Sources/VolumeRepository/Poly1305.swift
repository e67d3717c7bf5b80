/// Poly1305 one-time authenticator (RFC 8439 §2.5) in radix 2^64: the accumulator is two 64-bit words
/// and a small top word, `r` two 64-bit words, so a 16-byte block costs four 64×64→128 multiplications
/// (the 44-bit-limb form needs nine). Sums and carries are written as `UInt128` arithmetic, which
/// compiles to add-with-carry chains (about twice the speed of spelled-out overflow flags).
///
/// swift-crypto exposes no Poly1305, so this is our own. restic uses Poly1305-AES: the one-time key is
/// `r ‖ s` with `r` from the master key's MAC key and `s = AES-128(k, nonce)` (see `CryptoKey`).
struct Poly1305 {
    private let r0: UInt64, r1: UInt64
    /// r1 + r1/4: 2^130 ≡ 5 (mod p), and r1's low two bits are clamped to zero.
    private let s1: UInt64
    private var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0
    private let pad0: UInt64, pad1: UInt64
    private var pending = [UInt8](repeating: 0, count: 16)
    private var pendingCount = 0

    /// Creates an authenticator from the 32-byte one-time key `r ‖ s` (r is clamped here).
    init(key: some Collection<UInt8>) {
        precondition(key.count == 32, "Poly1305 key must be 32 bytes")
        let k = Array(key)
        r0 = Self.load64(k, 0) & 0x0fff_fffc_0fff_ffff
        r1 = Self.load64(k, 8) & 0x0fff_fffc_0fff_fffc
        s1 = r1 &+ (r1 >> 2)
        pad0 = Self.load64(k, 16)
        pad1 = Self.load64(k, 24)
    }

    /// Computes the 16-byte tag of `message` with a one-time `key`.
    static func tag(key: some Collection<UInt8>, message: UnsafeRawBufferPointer) -> [UInt8] {
        var mac = Poly1305(key: key)
        mac.update(message)
        return mac.finalize()
    }

    private static func load64(_ b: [UInt8], _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(b[at + i]) }
        return v
    }

    /// Processes whole 16-byte blocks; `hibit` is 1 for full blocks, 0 for the padded last one.
    @inline(__always)
    private mutating func blocks(_ p: UnsafeRawBufferPointer, count: Int, hibit: UInt64) {
        var (h0, h1, h2) = (self.h0, self.h1, self.h2)
        let (r0, r1, s1) = (self.r0, self.r1, self.s1)
        var offset = 0
        while offset + 16 <= count {
            // h += m (with the 2^128 bit). UInt128 sums compile to add/adc pairs.
            let m0 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let m1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            let (sum, carry) = (UInt128(h1) << 64 | UInt128(h0)).addingReportingOverflow(
                UInt128(m1) << 64 | UInt128(m0)
            )
            h0 = UInt64(truncatingIfNeeded: sum)
            h1 = UInt64(truncatingIfNeeded: sum >> 64)
            h2 &+= (carry ? 1 : 0) &+ hibit

            // h *= r, partly reduced: terms at 2^128 and above fold back multiplied by 5/4 (s1). With
            // r0 < 2^60 and s1 < 2^61 (clamping), each column sum stays below 2^127.
            let d0 = UInt128(h0) &* UInt128(r0) &+ UInt128(h1) &* UInt128(s1)
            let d1 = UInt128(h0) &* UInt128(r1) &+ UInt128(h1) &* UInt128(r0) &+ UInt128(h2 &* s1) &+ (d0 >> 64)
            h0 = UInt64(truncatingIfNeeded: d0)
            h1 = UInt64(truncatingIfNeeded: d1)
            h2 = h2 &* r0 &+ UInt64(truncatingIfNeeded: d1 >> 64)

            // Fold the bits above 2^130 back in: (h2 >> 2) * 5 = (h2 & ~3) + (h2 >> 2).
            let fold = (h2 >> 2) &+ (h2 & ~3)
            h2 &= 3
            let (folded, k) = (UInt128(h1) << 64 | UInt128(h0)).addingReportingOverflow(UInt128(fold))
            h0 = UInt64(truncatingIfNeeded: folded)
            h1 = UInt64(truncatingIfNeeded: folded >> 64)
            h2 &+= k ? 1 : 0
            offset += 16
        }
        (self.h0, self.h1, self.h2) = (h0, h1, h2)
    }

    /// Feeds more message bytes.
    mutating func update(_ data: UnsafeRawBufferPointer) {
        var data = data
        if pendingCount > 0 {
            let take = min(16 - pendingCount, data.count)
            for i in 0..<take { pending[pendingCount + i] = data[i] }
            pendingCount += take
            data = UnsafeRawBufferPointer(rebasing: data[take...])
            if pendingCount < 16 { return }
            pending.withUnsafeBytes { blocks($0, count: 16, hibit: 1) }
            pendingCount = 0
        }
        let full = data.count & ~15
        if full > 0 { blocks(data, count: full, hibit: 1) }
        let rest = data.count - full
        for i in 0..<rest { pending[i] = data[full + i] }
        pendingCount = rest
    }

    /// Finishes and returns the 16-byte tag.
    mutating func finalize() -> [UInt8] {
        if pendingCount > 0 {
            pending[pendingCount] = 1
            for i in (pendingCount + 1)..<16 { pending[i] = 0 }
            pending.withUnsafeBytes { blocks($0, count: 16, hibit: 0) }
        }
        var (h0, h1) = (self.h0, self.h1)
        // h < 2p here; subtract p (add 5 and drop 2^130) when h ≥ p, in constant time.
        let (g0, k0) = h0.addingReportingOverflow(5)
        let (g1, k1) = h1.addingReportingOverflow(k0 ? 1 : 0)
        let g2 = h2 &+ (k1 ? 1 : 0)
        let mask = 0 &- (g2 >> 2)  // all ones when h + 5 reached 2^130
        h0 = (h0 & ~mask) | (g0 & mask)
        h1 = (h1 & ~mask) | (g1 & mask)
        // tag = (h + s) mod 2^128
        let (t0, k2) = h0.addingReportingOverflow(pad0)
        let out0 = t0
        let out1 = h1 &+ pad1 &+ (k2 ? 1 : 0)
        var tag = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            tag[i] = UInt8(truncatingIfNeeded: out0 >> UInt64(8 * i))
            tag[8 + i] = UInt8(truncatingIfNeeded: out1 >> UInt64(8 * i))
        }
        return tag
    }
}
