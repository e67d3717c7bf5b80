/// Writes a tar stream (POSIX ustar, with PAX records for names that do not fit), the way
/// Go's `archive/tar` does for Velero: regular files, mode 0755, a modification time.
///
/// Output is appended to a caller-owned buffer so that it can be fed straight into a
/// `GzipCompressor` and flushed to storage in chunks.
package struct TarWriter {
    package var modificationTime: Int
    private(set) package var bytesWritten = 0

    /// - Parameter modificationTime: seconds since 1970 written into every header.
    package init(modificationTime: Int) {
        self.modificationTime = modificationTime
    }

    /// Appends one regular file entry.
    package mutating func appendFile(
        name: String,
        contents: some Collection<UInt8>,
        mode: Int = 0o755,
        into output: inout [UInt8]
    ) throws(ArchiveError) {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw ArchiveError(code: .path, message: "tar entry name \(name.debugDescription) is empty or contains NUL")
        }
        let size = contents.count
        let start = output.count
        if let split = Self.ustarSplit(name) {
            output.append(
                contentsOf: header(
                    name: split.name,
                    prefix: split.prefix,
                    size: size,
                    mode: mode,
                    type: UInt8(ascii: "0")
                )
            )
        } else {
            // PAX extended header carrying the full path, then a ustar header with a truncated name.
            let record = Self.paxRecord(key: "path", value: name)
            output.append(
                contentsOf: header(
                    name: "PaxHeaders.0/" + String(name.suffix(80)),
                    prefix: "",
                    size: record.count,
                    mode: 0o644,
                    type: UInt8(ascii: "x")
                )
            )
            output.append(contentsOf: record)
            Self.pad(&output, record.count)
            output.append(
                contentsOf: header(
                    name: String(String.UnicodeScalarView(name.unicodeScalars.suffix(99))),
                    prefix: "",
                    size: size,
                    mode: mode,
                    type: UInt8(ascii: "0")
                )
            )
        }
        output.append(contentsOf: contents)
        Self.pad(&output, size)
        bytesWritten += output.count - start
    }

    /// Appends the end-of-archive marker (two zero blocks).
    package mutating func finish(into output: inout [UInt8]) {
        output.append(contentsOf: repeatElement(0, count: 1024))
        bytesWritten += 1024
    }

    // MARK: - encoding

    private func header(name: String, prefix: String, size: Int, mode: Int, type: UInt8) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        Self.put(Array(name.utf8.prefix(100)), at: 0, in: &block)
        Self.putOctal(mode, width: 8, at: 100, in: &block)
        Self.putOctal(0, width: 8, at: 108, in: &block)  // uid
        Self.putOctal(0, width: 8, at: 116, in: &block)  // gid
        Self.putOctal(size, width: 12, at: 124, in: &block)
        Self.putOctal(modificationTime, width: 12, at: 136, in: &block)
        for i in 148..<156 { block[i] = 0x20 }  // checksum placeholder: spaces
        block[156] = type
        Self.put(Array("ustar".utf8) + [0], at: 257, in: &block)
        Self.put(Array("00".utf8), at: 263, in: &block)
        Self.put(Array(prefix.utf8.prefix(155)), at: 345, in: &block)
        let checksum = block.reduce(0) { $0 + Int($1) }
        Self.putOctal(checksum, width: 7, at: 148, in: &block)
        block[155] = 0x20
        return block
    }

    private static func put(_ bytes: [UInt8], at offset: Int, in block: inout [UInt8]) {
        for (i, b) in bytes.enumerated() { block[offset + i] = b }
    }

    /// Octal, zero-padded, NUL-terminated, like Go's formatOctal.
    private static func putOctal(_ value: Int, width: Int, at offset: Int, in block: inout [UInt8]) {
        var digits = Array(String(value, radix: 8).utf8)
        let room = width - 1
        if digits.count < room { digits = Array(repeating: UInt8(ascii: "0"), count: room - digits.count) + digits }
        put(Array(digits.suffix(room)) + [0], at: offset, in: &block)
    }

    private static func pad(_ output: inout [UInt8], _ size: Int) {
        let rest = size % 512
        if rest != 0 { output.append(contentsOf: repeatElement(0, count: 512 - rest)) }
    }

    /// Splits a name into ustar (prefix, name) when it fits: name ≤ 100 bytes, prefix ≤ 155 bytes, ASCII only.
    static func ustarSplit(_ path: String) -> (prefix: String, name: String)? {
        let bytes = Array(path.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        if bytes.count <= 100 { return ("", path) }
        guard bytes.count <= 256 else { return nil }
        // Split at a slash so that the prefix is ≤ 155 bytes and the name ≤ 100 bytes.
        var index = min(bytes.count - 1, 155)
        while index > 0 {
            if bytes[index] == UInt8(ascii: "/") {
                let prefix = bytes[..<index]
                let name = bytes[(index + 1)...]
                if name.count <= 100 && !name.isEmpty && prefix.count <= 155 {
                    return (String(decoding: prefix, as: UTF8.self), String(decoding: name, as: UTF8.self))
                }
            }
            index -= 1
        }
        return nil
    }

    /// A PAX record "<len> key=value\n" where len counts the whole record including itself.
    static func paxRecord(key: String, value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        let bodyLength = body.utf8.count
        var length = bodyLength + 1
        while String(length).utf8.count + bodyLength != length { length += 1 }
        return Array((String(length) + body).utf8)
    }
}
