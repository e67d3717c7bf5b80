import Crypto
import _CryptoExtras

/// Single-core throughput of the backup pipeline's stages on this machine (for `lifeboat-bench repo`).
///
/// Each stage runs on one thread over the given samples for about `seconds`, with the code paths the
/// repository uses: swift-crypto SHA-256 and AES-256-CTR, our Poly1305, libzstd, the chunker.
package enum StageLimits {
    /// One measured stage.
    package struct Result: Sendable {
        package var stage: String
        /// Megabytes (10^6) of input per second on one core.
        package var mbPerSecond: Double
        /// Output bytes per input byte (compression), 1 for the others.
        package var ratio: Double
    }

    /// Measures every stage.
    /// - Parameters:
    ///   - blobs: sample blobs as the backup compresses them (small files whole, large ones in chunks).
    ///   - chunkerSample: a few MiB of file data for the chunker.
    ///   - levels: zstd levels to measure.
    package static func measure(
        blobs: [[UInt8]],
        chunkerSample: [UInt8],
        levels: [Int32],
        seconds: Double = 1
    ) throws -> [Result] {
        var results: [Result] = []
        let mib = [UInt8](repeating: 0x5a, count: 1 << 20)
        results.append(
            Result(
                stage: "SHA-256",
                mbPerSecond: rate(bytes: mib.count, seconds: seconds) { _ = SHA256.hash(data: mib) },
                ratio: 1
            )
        )
        let key = SymmetricKey(size: .bits256)
        let nonce = try AES._CTR.Nonce(nonceBytes: [UInt8](repeating: 1, count: 16))
        results.append(
            Result(
                stage: "AES-256-CTR",
                mbPerSecond: rate(bytes: mib.count, seconds: seconds) {
                    _ = try? AES._CTR.encrypt(mib, using: key, nonce: nonce)
                },
                ratio: 1
            )
        )
        let polyKey = [UInt8](repeating: 7, count: 32)
        results.append(
            Result(
                stage: "Poly1305 (ours)",
                mbPerSecond: rate(bytes: mib.count, seconds: seconds) {
                    mib.withUnsafeBytes { _ = Poly1305.tag(key: polyKey, message: $0) }
                },
                ratio: 1
            )
        )
        var scanner = ChunkScanner(try Chunker(polynomial: Polynomial(0x3DA3_358B_4DC1_73)))
        results.append(
            Result(
                stage: "chunker (hashed bytes)",
                mbPerSecond: rate(bytes: max(0, chunkerSample.count - Chunker.minSize), seconds: seconds) {
                    chunkerSample.withUnsafeBytes { raw in
                        scanner.reset()
                        var start = 0
                        // Hash everything after one minimum-size skip, as in a long chunk.
                        while start < raw.count,
                            let cut = scanner.scan(UnsafeRawBufferPointer(rebasing: raw[start...]), from: 0)
                        {
                            start += max(cut, Chunker.minSize)
                            scanner.reset()
                        }
                    }
                },
                ratio: 1
            )
        )
        let sampleBytes = blobs.reduce(0) { $0 + $1.count }
        for level in levels {
            let zstd = Zstd(level: level)
            var out = 0
            for b in blobs { out += b.withUnsafeBytes { zstd.compress($0)?.count ?? $0.count } }
            let compress = rate(bytes: sampleBytes, seconds: seconds) {
                for b in blobs { b.withUnsafeBytes { zstd.withCompressed($0) { _ in } } }
            }
            results.append(
                Result(
                    stage: "zstd level \(level) compress",
                    mbPerSecond: compress,
                    ratio: Double(out) / Double(max(1, sampleBytes))
                )
            )
            let frames = blobs.map { b in b.withUnsafeBytes { zstd.compress($0) ?? [] } }
            let decompress = rate(bytes: sampleBytes, seconds: seconds) {
                for (f, b) in zip(frames, blobs) {
                    f.withUnsafeBytes { _ = try? Zstd.decompress($0, expectedSize: b.count) }
                }
            }
            results.append(Result(stage: "zstd level \(level) decompress", mbPerSecond: decompress, ratio: 1))
        }
        return results
    }

    /// Runs `body` (which processes `bytes`) repeatedly for about `seconds`; returns MB/s.
    private static func rate(bytes: Int, seconds: Double, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        var rounds = 0
        var elapsed = 0.0
        repeat {
            body()
            rounds += 1
            let d = clock.now - start
            elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        } while elapsed < seconds
        return Double(bytes) * Double(rounds) / elapsed / 1e6
    }
}
