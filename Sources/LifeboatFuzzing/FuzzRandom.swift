/// A small seeded pseudo-random generator (SplitMix64) so that every fuzz input can be regenerated from
/// the run's seed, the target's name and the input's number.
///
/// ```swift
/// var random = FuzzRandom(seed: 1, target: "tar", iteration: 42)
/// let coin = random.chance(0.5)
/// ```
package struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator for one input: the same `(seed, target, iteration)` always yields the same numbers.
    package init(seed: UInt64, target: String, iteration: Int) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in target.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        state = seed ^ hash ^ (UInt64(truncatingIfNeeded: iteration) &* 0x9E37_79B9_7F4A_7C15)
        _ = next()
    }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (0 when `bound` is not positive).
    package mutating func below(_ bound: Int) -> Int {
        guard bound > 0 else { return 0 }
        return Int(next() % UInt64(bound))
    }

    /// True with probability `p`.
    package mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < p
    }

    /// A random element of a non-empty array.
    package mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }
}
