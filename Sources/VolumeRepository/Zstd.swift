import CZstd
import Synchronization

/// zstd compression with restic-like settings (level 3, no frame checksum, 512 KiB window).
///
/// Compression contexts are pooled: creating one costs more than compressing a small blob.
final class Zstd: Sendable {
    /// A pooled `ZSTD_CCtx` pointer with its output buffer. Only ever used by the one caller that took it
    /// from the pool, so sharing the raw pointers across threads is safe.
    private struct Context: @unchecked Sendable {
        let pointer: OpaquePointer
        var scratch: UnsafeMutableRawBufferPointer
    }

    private let pool = Mutex<[Context]>([])
    /// Output buffer kept with each pooled context.
    static let pooledScratch = 1 << 20
    let level: Int32
    let windowLog: Int32

    /// - Parameters:
    ///   - level: zstd level (see `Repository.Configuration.compressionLevel`).
    ///   - windowLog: log2 of the window; 0 lets zstd choose from the level and input size.
    init(level: Int32 = 3, windowLog: Int32 = 0) {
        self.level = level
        self.windowLog = windowLog
    }

    deinit {
        pool.withLock { contexts in
            for c in contexts {
                ZSTD_freeCCtx(c.pointer)
                c.scratch.deallocate()
            }
        }
    }

    private func take() -> Context {
        if let c = pool.withLock({ $0.popLast() }) { return c }
        // swift-format-ignore: allocation failure of libzstd is unrecoverable
        guard let cctx = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx failed (out of memory)") }
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)
        if windowLog > 0 { ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, windowLog) }
        return Context(pointer: cctx, scratch: .allocate(byteCount: 64 * 1024, alignment: 16))
    }

    private func give(_ context: Context) {
        pool.withLock { $0.append(context) }
    }

    /// Compresses `input` into one zstd frame held in a pooled buffer and passes it to `body`; `body` gets
    /// `nil` when the frame would not be smaller than `limit` bytes. The frame is only valid inside `body`.
    func withCompressed<R>(
        _ input: UnsafeRawBufferPointer,
        limit: Int? = nil,
        _ body: (UnsafeRawBufferPointer?) throws -> R
    ) rethrows -> R {
        var context = take()
        defer { give(context) }
        let bound = ZSTD_compressBound(input.count)
        let cap = max(1, limit.map { min($0, bound) } ?? bound)
        // Frames of up to `pooledScratch` bytes go to the context's own buffer; larger ones (chunks of several
        // MiB) to a buffer of this call only, so no context keeps megabytes resident between calls.
        let output: UnsafeMutableRawBufferPointer
        if cap <= Self.pooledScratch {
            if context.scratch.count < cap {
                context.scratch.deallocate()
                context.scratch = .allocate(byteCount: Self.pooledScratch, alignment: 16)
            }
            output = context.scratch
        } else {
            output = .allocate(byteCount: cap, alignment: 16)
        }
        defer { if output.baseAddress != context.scratch.baseAddress { output.deallocate() } }
        let n = ZSTD_compress2(context.pointer, output.baseAddress, cap, input.baseAddress, input.count)
        if ZSTD_isError(n) != 0 { return try body(nil) }
        return try body(UnsafeRawBufferPointer(rebasing: output[0..<n]))
    }

    /// Compresses `input` into one zstd frame written at the start of `output`; returns the frame's length,
    /// or nil when it would not fit in `output` (pass a buffer of `limit` bytes to keep only frames smaller
    /// than that).
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        let context = take()
        defer { give(context) }
        let n = ZSTD_compress2(context.pointer, output.baseAddress, output.count, input.baseAddress, input.count)
        return ZSTD_isError(n) != 0 ? nil : n
    }

    /// Compresses `input` into one zstd frame; `nil` when the result would not be smaller than `limit` bytes.
    func compress(_ input: UnsafeRawBufferPointer, limit: Int? = nil) -> [UInt8]? {
        withCompressed(input, limit: limit) { $0.map { Array($0) } }
    }

    /// Decompresses one or more zstd frames.
    /// - Parameter expectedSize: the plaintext length when known (blobs), for a single allocation.
    static func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int? = nil) throws -> [UInt8] {
        if let expectedSize {
            var ok = true
            let out = [UInt8](unsafeUninitializedCapacity: max(expectedSize, 1)) { buf, initialized in
                HugePages.advise(UnsafeMutableRawBufferPointer(buf))
                let n = ZSTD_decompress(buf.baseAddress, expectedSize, input.baseAddress, input.count)
                ok = ZSTD_isError(n) == 0 && n == expectedSize
                initialized = ok ? n : 0
            }
            guard ok else {
                throw RepositoryError(
                    code: .corrupt,
                    message: "zstd: decompressed length does not match \(expectedSize)"
                )
            }
            return out
        }
        guard let dctx = ZSTD_createDStream() else {
            throw RepositoryError(code: .io, message: "zstd: cannot allocate a decompression context")
        }
        defer { ZSTD_freeDStream(dctx) }
        var result = [UInt8]()
        let chunk = ZSTD_DStreamOutSize()
        var scratch = [UInt8](repeating: 0, count: chunk)
        var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var last = 0
        while true {
            let progress: Int = scratch.withUnsafeMutableBytes { s in
                var outBuf = ZSTD_outBuffer(dst: s.baseAddress, size: s.count, pos: 0)
                last = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
                result.append(contentsOf: s[0..<outBuf.pos])
                return outBuf.pos
            }
            if ZSTD_isError(last) != 0 {
                throw RepositoryError(code: .corrupt, message: "zstd: \(String(cString: ZSTD_getErrorName(last)))")
            }
            if inBuf.pos == inBuf.size && progress < chunk { break }
        }
        if last != 0 { throw RepositoryError(code: .corrupt, message: "zstd: truncated frame") }
        return result
    }
}
