/// The chunker's fast path over a buffer that holds the current chunk from its first byte.
///
/// Because the whole chunk so far is in memory, the byte leaving the 64-byte window is read from the
/// buffer itself (`chunk[i - 64]`) instead of a ring buffer, which keeps the per-byte loop to two table
/// lookups and a shift. Feed growing prefixes of the same chunk with `from` = bytes already scanned;
/// call `reset()` after a cut. Boundaries equal `Chunker.cut(in:)` and restic's.
struct ChunkScanner {
    let chunker: Chunker
    private var digest: UInt64 = 1

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
                // Warm-up: the window starts as 63 zero bytes and one 0x01 byte (restic's reset), so the
                // leaving byte is 0, except 1 for the 64th byte.
                if i < minSize {
                    let stop = min(n, minSize)
                    while i < stop {
                        let leaving = i == minSize - 1 ? 1 : 0
                        digest ^= to[leaving]
                        digest = ((digest << 8) | UInt64(base[i])) ^ tm[Int(truncatingIfNeeded: digest >> shift) & 0xff]
                        i += 1
                    }
                    if i == minSize && (digest & mask) == 0 { return i }
                }
                while i < n {
                    digest ^= to[Int(base[i - window])]
                    digest = ((digest << 8) | UInt64(base[i])) ^ tm[Int(truncatingIfNeeded: digest >> shift) & 0xff]
                    i += 1
                    if (digest & mask) == 0 { return i }
                }
                return i >= Chunker.maxSize ? Chunker.maxSize : nil
            }
        }
        self.digest = digest
        return result
    }
}
