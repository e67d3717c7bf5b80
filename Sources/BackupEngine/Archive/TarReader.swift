/// An incremental tar parser: feed it bytes (as they come out of gzip), take complete entries.
///
/// Understands ustar (with prefix), PAX extended headers (`path`, `size`), GNU long names
/// (`L`) and old v7 headers. Directories and other non-regular entries are reported with
/// `isRegularFile == false` and no contents.
package struct TarReader {
    package struct Entry: Sendable {
        package var name: String
        package var isRegularFile: Bool
        package var contents: [UInt8]
    }

    private var buffer: [UInt8] = []
    private var position = 0
    private var pendingPath: String?
    private var pendingSize: Int?
    private var sawEnd = false
    private(set) package var entriesRead = 0

    /// The largest entry size accepted (1 TiB; a backup's entries are JSON documents). Larger declared sizes,
    /// and negative ones, are corrupt headers.
    package static let maximumEntrySize = 1 << 40

    /// The largest regular entry this reader accepts; a larger one is an error naming it.
    package let entrySizeBound: Int

    /// - Parameter entrySizeBound: the largest regular entry accepted (default: `maximumEntrySize`).
    package init(entrySizeBound: Int = Self.maximumEntrySize) {
        self.entrySizeBound = min(entrySizeBound, Self.maximumEntrySize)
    }

    /// True once the end-of-archive marker was read.
    package var isFinished: Bool { sawEnd }

    /// Bytes fed but not yet consumed by a complete entry (a partial header or body when the input ended).
    package var pendingBytes: Int { buffer.count - position }

    /// Adds bytes to parse.
    package mutating func feed(_ bytes: some Collection<UInt8>) {
        if position > 0 && position >= buffer.count / 2 {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete entry, or `nil` when more bytes are needed (or the archive ended).
    package mutating func next() throws(ArchiveError) -> Entry? {
        while !sawEnd {
            guard buffer.count - position >= 512 else { return nil }
            let header = buffer[position..<(position + 512)]
            if header.allSatisfy({ $0 == 0 }) {
                sawEnd = true
                return nil
            }
            try Self.verifyChecksum(header, at: entriesRead)
            let type = header[header.startIndex + 156]
            let declaredSize = try Self.parseNumber(header[(header.startIndex + 124)..<(header.startIndex + 136)])
            let size = pendingSize ?? declaredSize
            guard (0...Self.maximumEntrySize).contains(size) else {
                throw ArchiveError(
                    code: .tar,
                    message: "malformed tar header after entry \(entriesRead): entry size \(size) is out of range"
                )
            }
            if size > entrySizeBound, type != UInt8(ascii: "x"), type != UInt8(ascii: "g"), type != UInt8(ascii: "L") {
                throw ArchiveError(
                    code: .tar,
                    message:
                        "tar member \(pendingPath ?? Self.string(header[header.startIndex..<(header.startIndex + 100)])) "
                        + "is \(size) bytes, more than the bound of \(entrySizeBound) bytes"
                )
            }
            let padded = (size + 511) / 512 * 512
            guard buffer.count - position >= 512 + padded else { return nil }
            let dataStart = position + 512
            let data = Array(buffer[dataStart..<(dataStart + size)])
            position = dataStart + padded
            switch type {
            case UInt8(ascii: "x"):
                try applyPAX(data)
                continue
            case UInt8(ascii: "g"):
                continue
            case UInt8(ascii: "L"):
                pendingPath = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                continue
            default:
                break
            }
            var name = Self.string(header[header.startIndex..<(header.startIndex + 100)])
            let magic = Self.string(header[(header.startIndex + 257)..<(header.startIndex + 263)])
            if magic.hasPrefix("ustar") {
                let prefix = Self.string(header[(header.startIndex + 345)..<(header.startIndex + 500)])
                if !prefix.isEmpty && magic == "ustar" { name = prefix + "/" + name }
            }
            if let long = pendingPath { name = long }
            pendingPath = nil
            pendingSize = nil
            entriesRead += 1
            let regular = type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7")
            return Entry(name: name, isRegularFile: regular, contents: regular ? data : [])
        }
        return nil
    }

    private mutating func applyPAX(_ data: [UInt8]) throws(ArchiveError) {
        var index = 0
        while index < data.count {
            // "<length> <key>=<value>\n", the length counting the whole record (its digits and newline too).
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > space - index + 1,
                length <= data.count - index, data[index + length - 1] == UInt8(ascii: "\n")
            else { throw ArchiveError(code: .tar, message: "malformed PAX header in tar entry \(entriesRead + 1)") }
            let record = data[(space + 1)..<(index + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
                let value = String(decoding: record[(equals + 1)...], as: UTF8.self)
                if key == "path" { pendingPath = value }
                if key == "size" {
                    guard let size = Int(value), size >= 0 else {
                        throw ArchiveError(
                            code: .tar,
                            message:
                                "malformed PAX header in tar entry \(entriesRead + 1): bad size \(value.debugDescription)"
                        )
                    }
                    pendingSize = size
                }
            }
            index += length
        }
    }

    private static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func parseNumber(_ field: ArraySlice<UInt8>) throws(ArchiveError) -> Int {
        if let first = field.first, first & 0x80 != 0 {
            // base-256 (GNU) encoding
            var value = Int(first & 0x7f)
            for byte in field.dropFirst() {
                guard value <= Int.max >> 8 else {
                    throw ArchiveError(code: .tar, message: "malformed tar header: base-256 number too large")
                }
                value = value << 8 | Int(byte)
            }
            return value
        }
        let text = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self).trimmingSpaces
        if text.isEmpty { return 0 }
        guard let value = Int(text, radix: 8), value >= 0 else {
            throw ArchiveError(code: .tar, message: "malformed tar header: bad number \(text.debugDescription)")
        }
        return value
    }

    private static func verifyChecksum(_ header: ArraySlice<UInt8>, at index: Int) throws(ArchiveError) {
        let stored = try parseNumber(header[(header.startIndex + 148)..<(header.startIndex + 156)])
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(byte) }
        guard sum == stored else {
            throw ArchiveError(code: .tar, message: "corrupt tar header after entry \(index): checksum mismatch")
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars = scalars.dropFirst() }
        while scalars.last == " " { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
