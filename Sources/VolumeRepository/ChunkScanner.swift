/// The chunker's fast path over a buffer that holds the current chunk from its first byte.
///
/// Because the whole chunk so far is in memory, the byte leaving the 64-byte window is read from the
/// buffer itself (`chunk[i - 64]`) instead of a ring buffer, which keeps the per-byte loop to two table
/// lookups and a shift. Feed growing prefixes of the same chunk with `from` = bytes already scanned;
/// call `reset()` after a cut. Boundaries equal `Chunker.cut(in:)` and restic's.
///
/// Past the minimum size the digest depends only on the 64 bytes in the window (the fingerprint is
/// linear and the reset byte has left it), so the digest at any position can be rebuilt from the 64
/// bytes before it. The steady state therefore scans `lanes` stretches of a block side by side, each
/// rebuilt that way: one rolling hash is a chain of dependent table lookups, and four independent chains
/// keep the core busy where one leaves it waiting. The first cut of the earliest lane wins; the bytes the
/// later lanes scanned past it are the only extra work (less than one block per chunk).
struct ChunkScanner {
    let chunker: Chunker
    private var digest: UInt64 = 1

    /// Bytes each lane scans per block.
    static let laneLength = 4096
    static let lanes = 4

    init(_ chunker: Chunker) { self.chunker = chunker }

    /// Starts a new chunk.
    mutating func reset() { digest = 1 }

    /// Scans `chunk[from...]`, where `chunk` starts at the chunk's first byte.
    /// - Returns: the chunk length when a cut falls within `chunk` (or it reached `Chunker.maxSize`), else nil.
    mutating func scan(_ chunk: UnsafeRawBufferPointer, from: Int) -> Int? {
        let window = Chunker.windowSize
        let minSize = Chunker.minSize
        let first = minSize - window  // the first hashed byte; the bytes before it are skipped
        let n = min(chunk.count, Chunker.maxSize)
        var i = max(from, first)
        guard i < n, let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return chunk.count >= Chunker.maxSize && from >= Chunker.maxSize ? Chunker.maxSize : nil
        }
        let shift = chunker.polShift
        let mask = Chunker.splitMask
        var digest = self.digest
        let result: Int? = chunker.outTable.withUnsafeBufferPointer { tout in
            chunker.modTable.withUnsafeBufferPointer { tmod in
                guard let to = tout.baseAddress, let tm = tmod.baseAddress else { return nil }
                @inline(__always) func roll(_ d: UInt64, _ leaving: UInt8, _ entering: UInt8) -> UInt64 {
                    Self.append(d ^ to[Int(leaving)], entering, shift: shift, tm: tm)
                }
                // Warm-up: the window starts as 63 zero bytes and one 0x01 byte (restic's reset), so the
                // leaving byte is 0, except 1 for the 64th byte.
                if i < minSize {
                    let stop = min(n, minSize)
                    while i < stop {
                        digest = roll(digest, i == minSize - 1 ? 1 : 0, base[i])
                        i += 1
                    }
                    if i == minSize && (digest & mask) == 0 { return i }
                }
                // Steady state, whole blocks: four lanes side by side.
                let lane = Self.laneLength
                while n - i >= Self.lanes * lane {
                    if let cut = Self.scanBlock(base + i, lane: lane, shift: shift, mask: mask, to: to, tm: tm) {
                        return i + cut
                    }
                    i += Self.lanes * lane
                    digest = Self.rebuild(base + i, shift: shift, tm: tm)
                }
                // The rest, one byte at a time.
                while i < n {
                    digest = roll(digest, base[i - window], base[i])
                    i += 1
                    if (digest & mask) == 0 { return i }
                }
                return i >= Chunker.maxSize ? Chunker.maxSize : nil
            }
        }
        self.digest = digest
        return result
    }

    /// Appends one byte to a digest whose leaving byte is already taken out, reducing modulo the polynomial.
    @inline(__always)
    private static func append(_ d: UInt64, _ byte: UInt8, shift: UInt64, tm: UnsafePointer<UInt64>) -> UInt64 {
        ((d << 8) | UInt64(byte)) ^ tm[Int(truncatingIfNeeded: d >> shift) & 0xff]
    }

    /// The digest of the 64 bytes before `end`: rolled in from an all-zero window, whose leaving bytes
    /// contribute nothing.
    @inline(__always)
    private static func rebuild(_ end: UnsafePointer<UInt8>, shift: UInt64, tm: UnsafePointer<UInt64>) -> UInt64 {
        var d: UInt64 = 0
        for j in -Chunker.windowSize..<0 { d = append(d, end[j], shift: shift, tm: tm) }
        return d
    }

    /// Scans `lanes × lane` bytes at `start` (at least 64 bytes past the chunk's reset point) as four
    /// interleaved lanes. Returns the offset just after the first cut, if any.
    @inline(__always)
    private static func scanBlock(
        _ start: UnsafePointer<UInt8>,
        lane: Int,
        shift: UInt64,
        mask: UInt64,
        to: UnsafePointer<UInt64>,
        tm: UnsafePointer<UInt64>
    ) -> Int? {
        let p0 = start
        let p1 = start + lane
        let p2 = start + 2 * lane
        let p3 = start + 3 * lane
        var d0 = rebuild(p0, shift: shift, tm: tm)
        var d1 = rebuild(p1, shift: shift, tm: tm)
        var d2 = rebuild(p2, shift: shift, tm: tm)
        var d3 = rebuild(p3, shift: shift, tm: tm)
        var hit1 = Int.max
        var hit2 = Int.max
        var hit3 = Int.max
        let w = Chunker.windowSize
        for j in 0..<lane {
            d0 ^= to[Int(p0[j - w])]
            d1 ^= to[Int(p1[j - w])]
            d2 ^= to[Int(p2[j - w])]
            d3 ^= to[Int(p3[j - w])]
            d0 = append(d0, p0[j], shift: shift, tm: tm)
            d1 = append(d1, p1[j], shift: shift, tm: tm)
            d2 = append(d2, p2[j], shift: shift, tm: tm)
            d3 = append(d3, p3[j], shift: shift, tm: tm)
            if (d0 & mask) == 0 || (d1 & mask) == 0 || (d2 & mask) == 0 || (d3 & mask) == 0 {
                if (d0 & mask) == 0 { return j + 1 }
                if (d1 & mask) == 0 && hit1 == Int.max { hit1 = j + 1 }
                if (d2 & mask) == 0 && hit2 == Int.max { hit2 = j + 1 }
                if (d3 & mask) == 0 && hit3 == Int.max { hit3 = j + 1 }
            }
        }
        if hit1 != Int.max { return lane + hit1 }
        if hit2 != Int.max { return 2 * lane + hit2 }
        if hit3 != Int.max { return 3 * lane + hit3 }
        return nil
    }
}
