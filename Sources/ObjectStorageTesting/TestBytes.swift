/// Deterministic test data.
public enum TestBytes {
    /// Bytes that do not compress and differ at every offset of a block (a xorshift stream from `seed`; seeds
    /// that differ only in bit 0 give the same bytes).
    public static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }
}
