import Crypto
import Foundation
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
        // Carries out of the low 64 bits.
        [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0xff, count: 7) + [0xf0],
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
        var fits = pool.take(count: 2000)
        #expect(fits.count == 2000 && fits.first == 2)  // smallest that fits, cut to size, contents left as they were
        let address = fits.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        pool.give(fits)
        fits = []
        // Extended within its capacity, in place.
        let extended = pool.take(count: 4500)
        #expect(extended.count == 4500 && extended.first == 2)
        #expect(extended.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == address)
        // None fits: the largest is replaced by a new buffer (not grown: nothing to copy), and is gone.
        let replaced = pool.take(count: 3000)
        #expect(replaced.count == 3000)
        #expect(pool.take(capacity: 1).capacity < 1000)  // the pool is empty now: a new, small buffer
        #expect(pool.take(count: 10).count == 10)  // a new buffer
        pool.give([UInt8](repeating: 0, count: 2 << 20))  // larger than maxCapacity: not kept
        #expect(pool.take(capacity: 1).capacity < 2 << 20)
        var reused = [UInt8](repeating: 7, count: 4096)
        let reusedAddress = reused.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        pool.give(reused)
        reused = []
        let empty = pool.take(capacity: 100)
        #expect(empty.isEmpty && empty.capacity >= 4096)
        #expect(empty.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == reusedAddress)
    }

    /// A blob compressed into a pooled buffer is encrypted where it lies: same format as `sealParts`, and the
    /// ciphertext occupies the buffer it was given.
    @Test func sealingInPlaceGivesTheSameFormat() throws {
        let key = CryptoKey.random()
        var rng = SplitMix(seed: 5)
        for count in [0, 1, 15, 16, CryptoKey.sealSegment, 2 * CryptoKey.sealSegment + 77] {
            let plaintext = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var buffer = BufferPool(keep: 1).take(count: count)
            buffer.withUnsafeMutableBytes { dst in plaintext.withUnsafeBytes { dst.copyMemory(from: $0) } }
            let address = buffer.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
            let sealed = try key.sealInPlace(consume buffer)
            if count > 0 {
                #expect(sealed.ciphertext.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == address)
            }
            // The reference: the segmented CTR stream from the same IV.
            var expected: [UInt8] = []
            try plaintext.withUnsafeBytes { try key.encrypt($0, iv: sealed.iv, appendingTo: &expected) }
            #expect(sealed.ciphertext == expected)
            #expect(try key.open(sealed.iv + sealed.ciphertext + sealed.tag) == plaintext)
        }
    }

    /// An uploaded pack's buffer, recycled as its only reference, holds the next pack.
    @Test func packBufferIsReusedForTheNextPack() throws {
        let key = CryptoKey.random()
        let packer = Packer(type: .data, targetSize: 64 * 1024, spareBuffers: 1)
        var rng = SplitMix(seed: 9)
        func fill() throws -> SealedPack {
            while true {
                let blob = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let sealed = try blob.withUnsafeBytes { try key.sealParts($0) }
                if let pack = try packer.add(id: BlobID.hash(blob), sealed: sealed, uncompressedLength: nil, key: key) {
                    return pack
                }
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

    /// A new pack buffer's pages are advised as transparent huge pages, where the kernel offers them.
    @Test func newPackBuffersAskForHugePages() throws {
        let mode = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
        try #require(
            mode.contains("[madvise]") || mode.contains("[always]"),
            "this kernel offers no transparent huge pages (\(mode))"
        )
        let writer = PackWriter(capacity: 24 * 1024 * 1024)
        let base = writer.bytes.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) + 4 * 1024 * 1024 }
        // The VMA holding the buffer's middle says whether THP may back it.
        // procfs files report size 0: read to the end rather than by size.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        try handle.close()
        var inside = false
        var eligible: String?
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
                let lo = UInt(line[..<dash], radix: 16), let hi = UInt(line[line.index(after: dash)..<space], radix: 16)
            {
                inside = lo <= base && base < hi
            } else if inside, line.hasPrefix("THPeligible:") {
                eligible = line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init)
            }
        }
        #expect(eligible == "1", "THPeligible of the pack buffer's mapping: \(eligible ?? "not found")")
        withExtendedLifetime(writer) {}
    }
}
