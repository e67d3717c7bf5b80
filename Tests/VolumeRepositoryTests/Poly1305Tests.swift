import Testing
@testable import VolumeRepository

/// RFC 8439 §2.5.2 and Appendix A.3 test vectors.
struct Poly1305Tests {
    static func hex(_ s: String) -> [UInt8] {
        let clean = s.filter { $0.isHexDigit }
        var out: [UInt8] = []
        var i = clean.startIndex
        while i < clean.endIndex {
            let j = clean.index(i, offsetBy: 2)
            out.append(UInt8(clean[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var key: String
        var message: String
        var tag: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "2.5.2", key: "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
            message: "43727970746f6772617068696320466f72756d2052657365617263682047726f7570",
            tag: "a8061dc1305136c6c22b8baf0c0127a9"),
        Vector(name: "A.3 #1", key: String(repeating: "00", count: 32), message: String(repeating: "00", count: 64), tag: String(repeating: "00", count: 16)),
        Vector(name: "A.3 #5", key: "02" + String(repeating: "00", count: 31), message: String(repeating: "ff", count: 16), tag: "03" + String(repeating: "00", count: 15)),
        Vector(
            name: "A.3 #6", key: "02" + String(repeating: "00", count: 15) + String(repeating: "ff", count: 16),
            message: "02" + String(repeating: "00", count: 15), tag: "03" + String(repeating: "00", count: 15)),
        Vector(
            name: "A.3 #7", key: "01" + String(repeating: "00", count: 31),
            message: String(repeating: "ff", count: 16) + "f0" + String(repeating: "ff", count: 15) + "11" + String(repeating: "00", count: 15),
            tag: "05" + String(repeating: "00", count: 15)),
        Vector(
            name: "A.3 #8", key: "01" + String(repeating: "00", count: 31),
            message: String(repeating: "ff", count: 16) + "fb" + String(repeating: "fe", count: 15) + String(repeating: "01", count: 16),
            tag: String(repeating: "00", count: 16)),
        Vector(name: "A.3 #9", key: "02" + String(repeating: "00", count: 31), message: "fd" + String(repeating: "ff", count: 15), tag: "fa" + String(repeating: "ff", count: 15)),
        Vector(
            name: "A.3 #10", key: "0100000000000000" + "0400000000000000" + String(repeating: "00", count: 16),
            message: "e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000000000000000000001000000000000000000000000000000",
            tag: "14000000000000005500000000000000"),
        Vector(
            name: "A.3 #11", key: "0100000000000000" + "0400000000000000" + String(repeating: "00", count: 16),
            message: "e33594d7505e43b900000000000000003394d7505e4379cd010000000000000000000000000000000000000000000000",
            tag: "13000000000000000000000000000000"),
    ]

    @Test(arguments: vectors)
    func rfc8439Vector(_ v: Vector) {
        let message = Self.hex(v.message)
        let tag = message.withUnsafeBytes { Poly1305.tag(key: Self.hex(v.key), message: $0) }
        #expect(tag == Self.hex(v.tag))
    }

    @Test func incrementalUpdatesEqualOneShot() {
        let key = Self.hex(Self.vectors[0].key)
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let oneShot = message.withUnsafeBytes { Poly1305.tag(key: key, message: $0) }
        for split in [1, 15, 16, 17, 333] {
            var mac = Poly1305(key: key)
            message.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let end = min(raw.count, offset + split)
                    mac.update(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
            #expect(mac.finalize() == oneShot, "split \(split)")
        }
    }
}
