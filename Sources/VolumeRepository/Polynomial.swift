/// A polynomial over GF(2) of degree < 64, as used by restic's content-defined chunker.
package struct Polynomial: Hashable, Sendable, CustomStringConvertible {
    /// The coefficients: bit i is the coefficient of x^i.
    package var value: UInt64

    package init(_ value: UInt64) { self.value = value }

    /// Parses restic's config form: hex without `0x`.
    package init?(hex: String) {
        guard let v = UInt64(hex, radix: 16), v != 0 else { return nil }
        value = v
    }

    /// Hex without `0x`, as stored in the repository config.
    package var description: String { String(value, radix: 16) }

    /// Degree (index of the highest set bit), -1 for zero.
    package var degree: Int { value == 0 ? -1 : 63 - value.leadingZeroBitCount }

    /// `self mod d`.
    func mod(_ d: Polynomial) -> Polynomial {
        var x = value
        let dd = d.degree
        while x != 0 && (63 - x.leadingZeroBitCount) >= dd {
            x ^= d.value << UInt64((63 - x.leadingZeroBitCount) - dd)
        }
        return Polynomial(x)
    }

    /// `(self * f) mod g`, for operands already reduced mod g (degree of g ≤ 62).
    func mulMod(_ f: Polynomial, _ g: Polynomial) -> Polynomial {
        var result: UInt64 = 0
        var a = self.mod(g).value
        var b = f.value
        let top = UInt64(1) << UInt64(g.degree)
        while b != 0 {
            if b & 1 != 0 { result ^= a }
            b >>= 1
            a <<= 1
            if a & top != 0 { a ^= g.value }
        }
        return Polynomial(result)
    }

    func gcd(_ other: Polynomial) -> Polynomial {
        var a = self
        var b = other
        while b.value != 0 {
            (a, b) = (b, a.mod(b))
        }
        return a
    }

    /// Ben-Or irreducibility test, as restic's chunker does it.
    package var isIrreducible: Bool {
        let deg = degree
        guard deg > 0 else { return false }
        var x2i = Polynomial(2)  // x^(2^i) mod self, i = 0
        for _ in 1...(deg / 2) {
            x2i = x2i.mulMod(x2i, self)
            let q = Polynomial(x2i.value ^ 2).mod(self)
            if q.gcd(self).value != 1 { return false }
        }
        return true
    }

    /// A random irreducible polynomial of degree 53, as restic's `RandomPolynomial`.
    package static func random() -> Polynomial {
        var rng = SystemRandomNumberGenerator()
        while true {
            var f = UInt64.random(in: 0...UInt64.max, using: &rng)
            f &= (1 << 54) - 1
            f |= (1 << 53) | 1
            let p = Polynomial(f)
            if p.degree == 53 && p.isIrreducible { return p }
        }
    }
}
