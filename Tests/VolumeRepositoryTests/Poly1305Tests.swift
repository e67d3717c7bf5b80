import Testing

@testable import VolumeRepository

/// RFC 8439 §2.5.2 and Appendix A.3 test vectors.
struct Poly1305Tests {
    static func hex(_ s: String) -> [UInt8] {
        let clean = s.filter { $0.isHexDigit }
        var out: [UInt8] = []
        var i = clean.startIndex
        while i < clean.endIndex {
            let j = clean.index(i, offsetBy: 2)
            out.append(UInt8(clean[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var key: String
        var message: String
        var tag: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "2.5.2",
            key: "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
            message: "43727970746f6772617068696320466f72756d2052657365617263682047726f7570",
            tag: "a8061dc1305136c6c22b8baf0c0127a9"
        ),
        Vector(
            name: "A.3 #1",
            key: String(repeating: "00", count: 32),
            message: String(repeating: "00", count: 64),
            tag: String(repeating: "00", count: 16)
        ),
        Vector(
            name: "A.3 #5",
            key: "02" + String(repeating: "00", count: 31),
            message: String(repeating: "ff", count: 16),
            tag: "03" + String(repeating: "00", count: 15)
        ),
        Vector(
            name: "A.3 #6",
            key: "02" + String(repeating: "00", count: 15) + String(repeating: "ff", count: 16),
            message: "02" + String(repeating: "00", count: 15),
            tag: "03" + String(repeating: "00", count: 15)
        ),
        Vector(
            name: "A.3 #7",
            key: "01" + String(repeating: "00", count: 31),
            message: String(repeating: "ff", count: 16) + "f0" + String(repeating: "ff", count: 15) + "11"
                + String(repeating: "00", count: 15),
            tag: "05" + String(repeating: "00", count: 15)
        ),
        Vector(
            name: "A.3 #8",
            key: "01" + String(repeating: "00", count: 31),
            message: String(repeating: "ff", count: 16) + "fb" + String(repeating: "fe", count: 15)
                + String(repeating: "01", count: 16),
            tag: String(repeating: "00", count: 16)
        ),
        Vector(
            name: "A.3 #9",
            key: "02" + String(repeating: "00", count: 31),
            message: "fd" + String(repeating: "ff", count: 15),
            tag: "fa" + String(repeating: "ff", count: 15)
        ),
        Vector(
            name: "A.3 #10",
            key: "0100000000000000" + "0400000000000000" + String(repeating: "00", count: 16),
            message:
                "e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000000000000000000001000000000000000000000000000000",
            tag: "14000000000000005500000000000000"
        ),
        Vector(
            name: "A.3 #11",
            key: "0100000000000000" + "0400000000000000" + String(repeating: "00", count: 16),
            message: "e33594d7505e43b900000000000000003394d7505e4379cd010000000000000000000000000000000000000000000000",
            tag: "13000000000000000000000000000000"
        ),
    ]

    @Test(arguments: vectors)
    func rfc8439Vector(_ v: Vector) {
        let message = Self.hex(v.message)
        let tag = message.withUnsafeBytes { Poly1305.tag(key: Self.hex(v.key), message: $0) }
        #expect(tag == Self.hex(v.tag))
    }

    @Test func incrementalUpdatesEqualOneShot() {
        let key = Self.hex(Self.vectors[0].key)
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let oneShot = message.withUnsafeBytes { Poly1305.tag(key: key, message: $0) }
        for split in [1, 15, 16, 17, 333] {
            var mac = Poly1305(key: key)
            message.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let end = min(raw.count, offset + split)
                    mac.update(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
            #expect(mac.finalize() == oneShot, "split \(split)")
        }
    }

    /// Random keys (and keys with every bit set) and messages of every length up to a few blocks agree with
    /// an independent implementation.
    @Test func agreesWithAnIndependentImplementation() {
        var generator = SystemRandomNumberGenerator()
        var keys: [[UInt8]] = (0..<200).map { _ in (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        keys.append([UInt8](repeating: 0xff, count: 32))
        keys.append([UInt8](repeating: 0xff, count: 16) + [UInt8](repeating: 0, count: 16))
        for (n, key) in keys.enumerated() {
            for length in [0, 1, 15, 16, 17, 31, 32, 33, 64, 100 + n, 1000] {
                let fill: UInt8? = n % 3 == 0 ? 0xff : nil  // all-ones messages push the accumulator highest
                let message = (0..<length).map { _ in fill ?? UInt8.random(in: 0...255, using: &generator) }
                let ours = message.withUnsafeBytes { Poly1305.tag(key: key, message: $0) }
                let reference = message.withUnsafeBytes { Poly1305Limbs44.tag(key: key, message: $0) }
                #expect(ours == reference, "key \(key) length \(length)")
            }
        }
    }
}

/// An independent Poly1305 (44-bit limbs, the form of poly1305-donna-64) to cross-check the radix-2^64
/// implementation on random keys and messages. One-shot only.
private struct Poly1305Limbs44 {
    private var r0: UInt64, r1: UInt64, r2: UInt64
    private var s1: UInt64, s2: UInt64
    private var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0
    private let pad0: UInt64, pad1: UInt64
    private var pending = [UInt8](repeating: 0, count: 16)
    private var pendingCount = 0

    private static let mask44: UInt64 = 0xfff_ffff_ffff
    private static let mask42: UInt64 = 0x3ff_ffff_ffff

    /// Creates an authenticator from the 32-byte one-time key `r ‖ s` (r is clamped here).
    init(key: some Collection<UInt8>) {
        precondition(key.count == 32, "Poly1305 key must be 32 bytes")
        let k = Array(key)
        let t0 = Self.load64(k, 0)
        let t1 = Self.load64(k, 8)
        r0 = t0 & 0xffc_0fff_ffff
        r1 = ((t0 >> 44) | (t1 << 20)) & 0xfff_ffc0_ffff
        r2 = (t1 >> 24) & 0x00f_ffff_fc0f
        s1 = r1 &* (5 << 2)
        s2 = r2 &* (5 << 2)
        pad0 = Self.load64(k, 16)
        pad1 = Self.load64(k, 24)
    }

    static func tag(key: some Collection<UInt8>, message: UnsafeRawBufferPointer) -> [UInt8] {
        var mac = Poly1305Limbs44(key: key)
        mac.update(message)
        return mac.finalize()
    }

    private static func load64(_ b: [UInt8], _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(b[at + i]) }
        return v
    }

    @inline(__always)
    private mutating func blocks(_ p: UnsafeRawBufferPointer, count: Int, hibit: UInt64) {
        var (h0, h1, h2) = (self.h0, self.h1, self.h2)
        let (r0, r1, r2, s1, s2) = (self.r0, self.r1, self.r2, self.s1, self.s2)
        var offset = 0
        while offset + 16 <= count {
            let t0 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let t1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            h0 &+= t0 & Self.mask44
            h1 &+= ((t0 >> 44) | (t1 << 20)) & Self.mask44
            h2 &+= ((t1 >> 24) & Self.mask42) | hibit

            let d0 = UInt128(h0) &* UInt128(r0) &+ UInt128(h1) &* UInt128(s2) &+ UInt128(h2) &* UInt128(s1)
            var d1 = UInt128(h0) &* UInt128(r1) &+ UInt128(h1) &* UInt128(r0) &+ UInt128(h2) &* UInt128(s2)
            var d2 = UInt128(h0) &* UInt128(r2) &+ UInt128(h1) &* UInt128(r1) &+ UInt128(h2) &* UInt128(r0)

            var c = UInt64(truncatingIfNeeded: d0 >> 44)
            h0 = UInt64(truncatingIfNeeded: d0) & Self.mask44
            d1 &+= UInt128(c)
            c = UInt64(truncatingIfNeeded: d1 >> 44)
            h1 = UInt64(truncatingIfNeeded: d1) & Self.mask44
            d2 &+= UInt128(c)
            c = UInt64(truncatingIfNeeded: d2 >> 42)
            h2 = UInt64(truncatingIfNeeded: d2) & Self.mask42
            h0 &+= c &* 5
            c = h0 >> 44
            h0 &= Self.mask44
            h1 &+= c
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
            pending.withUnsafeBytes { blocks($0, count: 16, hibit: 1 << 40) }
            pendingCount = 0
        }
        let full = data.count & ~15
        if full > 0 { blocks(data, count: full, hibit: 1 << 40) }
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
        var (h0, h1, h2) = (self.h0, self.h1, self.h2)
        var c = h1 >> 44
        h1 &= Self.mask44
        h2 &+= c
        c = h2 >> 42
        h2 &= Self.mask42
        h0 &+= c &* 5
        c = h0 >> 44
        h0 &= Self.mask44
        h1 &+= c
        c = h1 >> 44
        h1 &= Self.mask44
        h2 &+= c
        c = h2 >> 42
        h2 &= Self.mask42
        h0 &+= c &* 5
        c = h0 >> 44
        h0 &= Self.mask44
        h1 &+= c

        var g0 = h0 &+ 5
        c = g0 >> 44
        g0 &= Self.mask44
        var g1 = h1 &+ c
        c = g1 >> 44
        g1 &= Self.mask44
        var g2 = h2 &+ c &- (1 << 42)

        var mask = (g2 >> 63) &- 1
        g0 &= mask
        g1 &= mask
        g2 &= mask
        mask = ~mask
        h0 = (h0 & mask) | g0
        h1 = (h1 & mask) | g1
        h2 = (h2 & mask) | g2

        let t0 = pad0
        let t1 = pad1
        h0 &+= t0 & Self.mask44
        c = h0 >> 44
        h0 &= Self.mask44
        h1 &+= (((t0 >> 44) | (t1 << 20)) & Self.mask44) &+ c
        c = h1 >> 44
        h1 &= Self.mask44
        h2 &+= ((t1 >> 24) & Self.mask42) &+ c
        h2 &= Self.mask42

        let out0 = h0 | (h1 << 44)
        let out1 = (h1 >> 20) | (h2 << 24)
        var tag = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            tag[i] = UInt8(truncatingIfNeeded: out0 >> UInt64(8 * i))
            tag[8 + i] = UInt8(truncatingIfNeeded: out1 >> UInt64(8 * i))
        }
        return tag
    }
}
