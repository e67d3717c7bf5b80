import Crypto
import NIOCore

import struct Foundation.Data

/// Computes the `x-amz-checksum-*` value (base64 of the big-endian digest) of a buffer.
enum S3Checksum {
    private static let crc32Table = makeTable(polynomial: 0xEDB8_8320)
    private static let crc32cTable = makeTable(polynomial: 0x82F6_3B78)

    private static func makeTable(polynomial: UInt32) -> [UInt32] {
        (0..<256).map { index -> UInt32 in
            var crc = UInt32(index)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            return crc
        }
    }

    static func crc(_ bytes: ByteBufferView, table: [UInt32]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The header name for `algorithm` (`x-amz-checksum-crc32`).
    static func headerName(_ algorithm: S3Configuration.ChecksumAlgorithm) -> String {
        "x-amz-checksum-" + algorithm.rawValue.lowercased()
    }

    /// The XML element name in CompleteMultipartUpload (`ChecksumCRC32`).
    static func elementName(_ algorithm: S3Configuration.ChecksumAlgorithm) -> String {
        "Checksum" + algorithm.rawValue
    }

    /// Base64 of the digest of `buffer`'s readable bytes.
    static func value(_ algorithm: S3Configuration.ChecksumAlgorithm, of buffer: ByteBuffer) -> String {
        let view = buffer.readableBytesView
        let digest: [UInt8]
        switch algorithm {
        case .crc32: digest = bigEndian(crc(view, table: crc32Table))
        case .crc32c: digest = bigEndian(crc(view, table: crc32cTable))
        case .sha1: digest = buffer.withUnsafeReadableBytes { Array(Insecure.SHA1.hash(data: $0)) }
        case .sha256: digest = buffer.withUnsafeReadableBytes { Array(SHA256.hash(data: $0)) }
        }
        return Data(digest).base64EncodedString()
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// Hex SHA-256 of `buffer`, the signed payload hash.
    static func sha256Hex(_ buffer: ByteBuffer) -> String {
        buffer.withUnsafeReadableBytes { Hex.encode(SHA256.hash(data: $0)) }
    }
}
