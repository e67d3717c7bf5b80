import Crypto
import NIOCore
import Testing
import _CryptoExtras

@testable import VolumeRepository

/// The backup's write path reuses its big buffers instead of mapping fresh pages per blob and pack.
struct BufferReuseTests {
    /// Sealing encrypts in `sealSegment` pieces; the result must be the one CTR stream restic (Go's
    /// `cipher.NewCTR`) produces: keystream block i = AES(IV + i), the IV counted as one 128-bit number.
    @Test(arguments: [
        [UInt8](repeating: 0x11, count: 16),
        [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0xff, count: 7) + [0xf0],  // carries out of the low 64 bits
        [UInt8](repeating: 0xff, count: 15) + [0xfe],  // wraps around 2^128
    ])
    func segmentedEncryptionIsOneCTRStream(iv: [UInt8]) throws {
        let key = CryptoKey.random()
        var rng = SplitMix(seed: 3)
        let count = 3 * CryptoKey.sealSegment + 1234
        let plaintext = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var segmented: [UInt8] = []
        try plaintext.withUnsafeBytes { try key.encrypt($0, iv: iv, appendingTo: &segmented) }
        // Reference: AES-256 of each counter block, XORed in.
        var expected = plaintext
        var counter = iv
        for block in stride(from: 0, to: count, by: 16) {
            var keystream = counter
            try AES.permute(&keystream, key: key.encryptionKey)
            for i in block..<min(count, block + 16) { expected[i] ^= keystream[i - block] }
            for i in (0..<16).reversed() {
                counter[i] &+= 1
                if counter[i] != 0 { break }
            }
        }
        #expect(segmented == expected)
        // Sealed in pieces, opened in one call.
        let sealed = try plaintext.withUnsafeBytes { try key.seal($0) }
        #expect(try key.open(sealed) == plaintext)
    }

    @Test func bufferPoolHandsOutTheSmallestThatFitsAndKeepsABoundedNumber() {
        let pool = BufferPool(keep: 2, maxCapacity: 1 << 20)
        pool.give([UInt8](repeating: 1, count: 1000))
        pool.give([UInt8](repeating: 2, count: 5000))
        pool.give([UInt8](repeating: 3, count: 9000))  // beyond `keep`: dropped
        let fits = pool.take(count: 2000)
        #expect(fits.count == 5000 && fits.first == 2)  // smallest that fits, contents left as they were
        let grown = pool.take(count: 3000)
        #expect(grown.count == 3000 && grown.first == 1)  // none fits: the largest, grown
        #expect(pool.take(count: 10) == [UInt8](repeating: 0, count: 10))  // pool empty: a new, zeroed buffer
        #expect(pool.take(capacity: 10).isEmpty)
        pool.give([UInt8](repeating: 0, count: 2 << 20))  // larger than maxCapacity: not kept
        #expect(pool.take(capacity: 1).capacity < 2 << 20)
        var reused = [UInt8](repeating: 7, count: 4096)
        let address = reused.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        pool.give(reused)
        reused = []
        let empty = pool.take(capacity: 100)
        #expect(empty.isEmpty && empty.capacity >= 4096)
        #expect(empty.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == address)
    }

    /// An uploaded pack's buffer, recycled as its only reference, holds the next pack.
    @Test func packBufferIsReusedForTheNextPack() throws {
        let key = CryptoKey.random()
        let packer = Packer(type: .data, targetSize: 64 * 1024)
        var rng = SplitMix(seed: 9)
        func fill() throws -> SealedPack {
            while true {
                let blob = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let sealed = try blob.withUnsafeBytes { try key.sealParts($0) }
                if let pack = try packer.add(id: BlobID.hash(blob), sealed: sealed, uncompressedLength: nil, key: key) { return pack }
            }
        }
        let first = try fill()
        let address = first.bytes.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        packer.recycle((consume first).bytes)
        let second = try fill()
        #expect(second.bytes.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == address)
        // A buffer recycled while something else still references it is not reused in place.
        let shared = second.bytes
        packer.recycle(shared)
        let third = try fill()
        #expect(third.bytes.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } != address)
        #expect(second.bytes.readableBytes > 64 * 1024)  // the shared one is untouched
    }
}
