/// restic's content-defined chunker: a Rabin fingerprint over a 64-byte window with the repository's polynomial.
///
/// Chunks are 512 KiB to 8 MiB, 1 MiB on average beyond the minimum (a cut where the low 20 bits of the
/// digest are zero). For the same polynomial and data the boundaries equal restic's, so blob IDs match.
/// The chunker is stateless between chunks: give `cut(in:)` the bytes from the start of a chunk.
package struct Chunker: Sendable {
    /// Smallest chunk (except the last of a file).
    package static let minSize = 512 * 1024
    /// Largest chunk.
    package static let maxSize = 8 * 1024 * 1024
    static let windowSize = 64
    static let splitMask: UInt64 = (1 << 20) - 1

    let polynomial: Polynomial
    let outTable: [UInt64]
    let modTable: [UInt64]
    let polShift: UInt64

    /// Builds the lookup tables for `polynomial` (degree ≤ 53).
    package init(polynomial: Polynomial) throws {
        let deg = polynomial.degree
        guard deg >= 9 && deg <= 53 else {
            throw RepositoryError(
                code: .unsupported,
                message: "chunker polynomial \(polynomial) has degree \(deg), need ≤ 53"
            )
        }
        self.polynomial = polynomial
        polShift = UInt64(deg - 8)
        var out = [UInt64](repeating: 0, count: 256)
        for b in 0..<256 {
            var h = Polynomial(UInt64(b)).mod(polynomial)
            for _ in 0..<(Self.windowSize - 1) {
                h = Polynomial(h.value << 8).mod(polynomial)
            }
            out[b] = h.value
        }
        var mod = [UInt64](repeating: 0, count: 256)
        for b in 0..<256 {
            let shifted = UInt64(b) << UInt64(deg)
            mod[b] = Polynomial(shifted).mod(polynomial).value | shifted
        }
        outTable = out
        modTable = mod
    }

    /// The length of the next chunk of `buffer`, which starts at a chunk boundary.
    ///
    /// - Returns: the chunk length, or `nil` when no cut was found and `buffer` is shorter than `maxSize`
    ///   (read more, or at end of file the whole buffer is the last chunk).
    package func cut(in buffer: UnsafeRawBufferPointer) -> Int? {
        var scanner = ChunkScanner(self)
        return scanner.scan(buffer, from: 0)
    }
}

/// Streaming form of the chunker: feed a chunk's bytes in pieces of any size.
///
/// `scan` returns how many bytes of the piece belong to the current chunk when a cut falls inside it;
/// then call `reset()` and feed the rest. Boundaries equal `Chunker.cut(in:)`.
struct ChunkerState {
    private let chunker: Chunker
    private var window = [UInt8](repeating: 0, count: Chunker.windowSize)
    private var wpos = 1
    private var digest: UInt64 = 1
    /// Bytes of the current chunk seen so far.
    private(set) var count = 0

    init(_ chunker: Chunker) {
        self.chunker = chunker
        reset()
    }

    mutating func reset() {
        for i in 0..<Chunker.windowSize { window[i] = 0 }
        window[0] = 1
        wpos = 1
        digest = 1
        count = 0
    }

    /// Scans `data`; returns the offset just after the cut, or nil when the whole piece belongs to the chunk.
    mutating func scan(_ data: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = data.count
        let skip = Chunker.minSize - Chunker.windowSize
        if count < skip {
            let take = min(skip - count, n)
            count += take
            i = take
            if i == n { return nil }
        }
        let shift = chunker.polShift
        let mask = Chunker.splitMask
        let minSize = Chunker.minSize
        let maxSize = Chunker.maxSize
        var digest = self.digest
        var wpos = self.wpos
        var count = self.count
        let result: Int? = chunker.outTable.withUnsafeBufferPointer { tout in
            chunker.modTable.withUnsafeBufferPointer { tmod in
                window.withUnsafeMutableBufferPointer { win in
                    guard let base = data.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        let w = win.baseAddress, let to = tout.baseAddress, let tm = tmod.baseAddress
                    else { return nil }
                    @inline(__always) func roll(_ b: UInt8) {
                        let leaving = w[wpos]
                        w[wpos] = b
                        wpos = (wpos + 1) & (Chunker.windowSize - 1)
                        digest ^= to[Int(leaving)]
                        digest = ((digest << 8) | UInt64(b)) ^ tm[Int(truncatingIfNeeded: digest >> shift) & 0xff]
                    }
                    // Below the minimum size no cut is possible: roll without checks.
                    if count < minSize {
                        let stop = min(n, i + (minSize - count))
                        count += stop - i
                        while i < stop {
                            roll(base[i])
                            i += 1
                        }
                        if count >= minSize && (digest & mask) == 0 { return i }
                    }
                    // Then check the split mask after every byte, up to the maximum size.
                    let stop = min(n, i + (maxSize - count))
                    let start = i
                    while i < stop {
                        roll(base[i])
                        i += 1
                        if (digest & mask) == 0 {
                            count += i - start
                            return i
                        }
                    }
                    count += i - start
                    return count >= maxSize ? i : nil
                }
            }
        }
        self.digest = digest
        self.wpos = wpos
        self.count = count
        return result
    }
}
