import CZlib

/// Streaming gzip compression and decompression over zlib.
///
/// `GzipCompressor` turns bytes into a gzip member (RFC 1952) incrementally; `GzipDecompressor`
/// accepts gzip (or zlib) input incrementally and reports truncated or corrupt input as an
/// `ArchiveError`. Both own a `z_stream`, so each instance belongs to one task at a time.
package final class GzipCompressor {
    private var stream = z_stream()
    private var finished = false

    /// - Parameter level: zlib compression level, 1 (fast) … 9 (small); Go's default is 6.
    package init(level: Int32 = 6) throws(ArchiveError) {
        let status = deflateInit2_(
            &stream,
            level,
            Z_DEFLATED,
            15 + 16,
            8,
            Z_DEFAULT_STRATEGY,
            ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size)
        )
        guard status == Z_OK else { throw ArchiveError(code: .gzip, message: "deflateInit failed (\(status))") }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `input`, appending whatever output is ready to `output`.
    package func compress(_ input: [UInt8], into output: inout [UInt8]) throws(ArchiveError) {
        try run(input, flush: Z_NO_FLUSH, into: &output)
    }

    /// Flushes the remaining output and the gzip trailer. Call once.
    package func finish(into output: inout [UInt8]) throws(ArchiveError) {
        guard !finished else { return }
        finished = true
        try run([UInt8](), flush: Z_FINISH, into: &output)
    }

    private func run(_ input: [UInt8], flush: Int32, into output: inout [UInt8]) throws(ArchiveError) {
        let result: Int32 = input.withUnsafeBytes { raw -> Int32 in
            let base = raw.bindMemory(to: UInt8.self).baseAddress
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = UInt32(raw.count)
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = deflate(&stream, flush)
                    return (status, out.count - Int(stream.avail_out))
                }
                if status == Z_STREAM_ERROR { return status }
                output.append(contentsOf: chunk[0..<produced])
                if flush == Z_FINISH {
                    if status == Z_STREAM_END { return Z_OK }
                    continue
                }
                if stream.avail_in == 0 && stream.avail_out != 0 { return Z_OK }
            }
        }
        stream.next_in = nil
        guard result == Z_OK else { throw ArchiveError(code: .gzip, message: "deflate failed (\(result))") }
    }

    /// Compresses a whole buffer into one gzip member.
    package static func compress(_ bytes: [UInt8], level: Int32 = 6) throws(ArchiveError) -> [UInt8] {
        let compressor = try GzipCompressor(level: level)
        var out: [UInt8] = []
        try compressor.compress(bytes, into: &out)
        try compressor.finish(into: &out)
        return out
    }
}

/// Incremental gzip decompression (also accepts zlib streams and concatenated gzip members).
package final class GzipDecompressor {
    private var stream = z_stream()
    /// True once the end of the (last) gzip member was seen.
    package private(set) var isFinished = false

    package init() throws(ArchiveError) {
        let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ArchiveError(code: .gzip, message: "inflateInit failed (\(status))") }
    }

    deinit { inflateEnd(&stream) }

    /// Decompresses `input`, appending the output to `output`.
    /// - Throws: `ArchiveError` with code `.gzip` when the input is not valid gzip data.
    package func decompress(_ input: [UInt8], into output: inout [UInt8]) throws(ArchiveError) {
        do {
            try decompress(input) { piece in output.append(contentsOf: piece) }
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(code: .gzip, message: "\(error)")
        }
    }

    /// Decompresses `input` (a continuation of the stream), handing `body` the output 128 KiB at a time, so a
    /// caller that consumes each piece never holds more than that of it (a highly compressed input can expand a
    /// hundredfold). Errors of `body` are rethrown; bad gzip data is an `ArchiveError`.
    package func decompress(_ input: [UInt8], pieces body: (ArraySlice<UInt8>) throws -> Void) throws {
        var failure: String?
        try input.withUnsafeBytes { raw in
            var offset = 0
            let total = raw.count
            var chunk = [UInt8](repeating: 0, count: 128 * 1024)
            while true {
                let base = raw.bindMemory(to: UInt8.self).baseAddress.map { $0 + offset }
                stream.next_in = UnsafeMutablePointer(mutating: base)
                stream.avail_in = UInt32(total - offset)
                if isFinished {
                    if offset >= total { return }
                    // A further gzip member follows (concatenated members are valid gzip).
                    inflateReset(&stream)
                    isFinished = false
                }
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                let consumed = (total - offset) - Int(stream.avail_in)
                offset += consumed
                if produced > 0 {
                    stream.next_in = nil
                    try body(chunk[0..<produced])
                }
                switch status {
                case Z_OK, Z_BUF_ERROR:
                    if consumed == 0 && produced == 0 { return }
                    if offset >= total && produced < chunk.count { return }
                case Z_STREAM_END:
                    isFinished = true
                    if offset >= total { return }
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    failure = "not valid gzip data: \(reason)"
                    return
                }
            }
        }
        stream.next_in = nil
        if let failure { throw ArchiveError(code: .gzip, message: failure) }
    }

    /// Decompresses a whole gzip buffer.
    /// - Throws: `.gzip` when corrupt, `.truncated` when the stream ends early.
    package static func decompress(_ bytes: [UInt8]) throws(ArchiveError) -> [UInt8] {
        let decompressor = try GzipDecompressor()
        var out: [UInt8] = []
        try decompressor.decompress(bytes, into: &out)
        guard decompressor.isFinished else {
            throw ArchiveError(code: .truncated, message: "gzip stream is truncated")
        }
        return out
    }
}
