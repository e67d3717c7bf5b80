import NIOCore
import Testing

@testable import VolumeRepository

struct FormatTests {
    @Test func sealOpenRoundTripAndTamperDetection() throws {
        let key = CryptoKey.random()
        let plain = Array("hello restic".utf8)
        var sealed = try key.seal(plain)
        #expect(sealed.count == plain.count + CryptoKey.overhead)
        #expect(try key.open(sealed) == plain)
        sealed[20] ^= 1
        #expect(throws: RepositoryError.self) { try key.open(sealed) }
        #expect(throws: RepositoryError.self) { try CryptoKey.random().open(try key.seal(plain)) }
    }

    @Test func zstdRoundTripAndIncompressibleLimit() throws {
        let zstd = Zstd()
        let text = Array(String(repeating: "lifeboat restic zstd ", count: 500).utf8)
        let packed = try #require(text.withUnsafeBytes { zstd.compress($0) })
        #expect(packed.count < text.count / 10)
        #expect(try packed.withUnsafeBytes { try Zstd.decompress($0, expectedSize: text.count) } == text)
        #expect(try packed.withUnsafeBytes { try Zstd.decompress($0) } == text)
        var rng = SystemRandomNumberGenerator()
        let random = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        #expect(random.withUnsafeBytes { zstd.compress($0, limit: random.count - 1) } == nil)
    }

    @Test func polynomialIrreducibility() throws {
        // A polynomial restic 0.14 wrote into a repository config.
        let restic = try #require(Polynomial(hex: "20c5514cdde329"))
        #expect(restic.degree == 53)
        #expect(restic.isIrreducible)
        // (x+1)·(restic polynomial) is reducible.
        let product = Polynomial(restic.value << 1 ^ restic.value)
        #expect(!product.isIrreducible)
        let random = Polynomial.random()
        #expect(random.degree == 53)
        #expect(random.isIrreducible)
    }

    @Test func goTimeFormatsLikeGo() throws {
        let t = GoTime(seconds: 1_795_626_316, nanoseconds: 415_344_761, utcOffset: 0)
        #expect(t.description == "2026-11-25T17:05:16.415344761Z")
        #expect(
            GoTime(seconds: 0, nanoseconds: 500_000_000, utcOffset: 3600).description == "1970-01-01T01:00:00.5+01:00"
        )
        #expect(GoTime(seconds: -1, nanoseconds: 0, utcOffset: -5400).description == "1969-12-31T22:29:59-01:30")
        let parsed = try #require(GoTime(rfc3339: "2026-11-21T17:05:16.415344761Z"))
        #expect(parsed.description == "2026-11-21T17:05:16.415344761Z")
        let offset = try #require(GoTime(rfc3339: "1970-01-01T01:00:00.5+01:00"))
        #expect(offset.seconds == 0 && offset.nanoseconds == 500_000_000)
        #expect(GoTime(rfc3339: "yesterday") == nil)
    }

    @Test func nodeNamesUseGoQuoting() {
        #expect(GoQuote.quote(Array("plain.txt".utf8)) == Array("plain.txt".utf8))
        #expect(String(decoding: GoQuote.quote([0x61, 0xff, 0x62]), as: UTF8.self) == "a\\xffb")
        #expect(String(decoding: GoQuote.quote(Array("a\"b\\c\n".utf8)), as: UTF8.self) == "a\\\"b\\\\c\\n")
        #expect(String(decoding: GoQuote.quote(Array("grüße".utf8)), as: UTF8.self) == "grüße")
        for raw: [UInt8] in [[0x61, 0xff, 0x62], Array("a\"b\\c\n\t".utf8), Array("grüße\u{a0}".utf8), [0x01, 0x7f]] {
            #expect(GoQuote.unquote(GoQuote.quote(raw)) == raw)
        }
    }

    @Test func treeJSONMatchesResticBytes() throws {
        var node = Node(nameBytes: Array("a.txt".utf8), type: .file)
        node.mode = 0o644
        node.mtime = try #require(GoTime(rfc3339: "2026-11-21T17:05:16.411344761Z"))
        node.atime = node.mtime
        node.ctime = node.mtime
        node.user = "root"
        node.group = "root"
        node.inode = 16_220_791
        node.deviceID = 65024
        node.size = 6
        node.links = 1
        node.content = [try #require(BlobID(hex: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"))]
        var dir = Node(nameBytes: Array("empty".utf8), type: .dir)
        dir.mode = GoFileMode.from(posix: 0o040755)
        dir.subtree = BlobID(hex: "ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8")
        let bytes = Tree(nodes: [node, dir]).encoded()
        let expected =
            #"{"nodes":[{"name":"a.txt","type":"file","mode":420,"mtime":"2026-11-21T17:05:16.411344761Z","atime":"2026-11-21T17:05:16.411344761Z","ctime":"2026-11-21T17:05:16.411344761Z","uid":0,"gid":0,"user":"root","group":"root","inode":16220791,"device_id":65024,"size":6,"links":1,"content":["5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"]},{"name":"empty","type":"dir","mode":2147484141,"mtime":"1970-01-01T00:00:00Z","atime":"1970-01-01T00:00:00Z","ctime":"1970-01-01T00:00:00Z","uid":0,"gid":0,"content":null,"subtree":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"}]}"#
            + "\n"
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
        let decoded = try Tree(decoding: bytes)
        #expect(decoded.encoded() == bytes)
        // restic's empty tree blob
        #expect(BlobID.hash(Tree().encoded()).hex == "ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8")
    }

    @Test func fastTreeParserAgreesWithJSONDecoder() throws {
        var file = Node(nameBytes: Array("quote\"back\\slash".utf8) + [0xff, 0x41], type: .file)
        file.mode = 0o600
        file.mtime = try #require(GoTime(rfc3339: "2024-02-03T04:05:06.7+01:00"))
        file.atime = file.mtime
        file.ctime = try #require(GoTime(rfc3339: "2024-02-03T04:05:06Z"))
        file.uid = 1000
        file.gid = 4_294_967_294
        file.user = "üser<&>"
        file.size = UInt64(1) << 40
        file.links = 2
        file.inode = UInt64.max
        file.content = [BlobID.hash([1]), BlobID.hash([2])]
        var empty = Node(nameBytes: Array("empty-file".utf8), type: .file)
        empty.content = []
        var link = Node(nameBytes: Array("link".utf8), type: .symlink)
        link.linkTarget = Array("../tab\there".utf8)
        var dir = Node(nameBytes: Array("dir".utf8), type: .dir)
        dir.subtree = BlobID.hash([3])
        var dev = Node(nameBytes: Array("dev".utf8), type: .chardev)
        dev.device = 259
        let simple = Tree(nodes: [dev, dir, empty, file, link]).encoded()
        // The fast path handles these nodes itself and agrees with the reference decoder.
        let fast = try JSONScanner.treeNodes(simple)
        #expect(fast == (try Tree(referenceDecoding: simple)).nodes)
        #expect(Tree(nodes: fast).encoded() == simple)
        // Extended attributes and raw link targets fall back to the reference decoder.
        var xattr = file
        xattr.extendedAttributes = [ExtendedAttribute(name: "user.k", value: [0, 1, 2])]
        var raw = link
        raw.linkTarget = [0x2e, 0xfe]
        let complex = Tree(nodes: [raw, xattr]).encoded()
        #expect(throws: (any Error).self) { _ = try JSONScanner.treeNodes(complex) }
        #expect(try Tree(decoding: complex) == (try Tree(referenceDecoding: complex)))
        #expect(try Tree(decoding: complex).encoded() == complex)
        // Malformed input is an error, not a crash.
        for bad in ["", "{", #"{"nodes":[{"name":"a"}]}"#, #"{"nodes":[{"name":"a","type":"file","size":-1}]}"#, "[]"] {
            #expect(throws: (any Error).self) { _ = try Tree(decoding: Array(bad.utf8)) }
        }
    }

    @Test func fastIndexParserAgreesWithJSONDecoder() throws {
        var packs: [IndexFile.Pack] = []
        for p in 0..<3 {
            var blobs: [PackEntry] = []
            for b in 0..<4 {
                let id = BlobID.hash([UInt8(p), UInt8(b)])
                let uncompressed: Int? = b.isMultiple(of: 2) ? 5000 + b : nil
                blobs.append(
                    PackEntry(
                        type: b == 0 ? .tree : .data,
                        id: id,
                        offset: b * 1000,
                        length: 1000 + b,
                        uncompressedLength: uncompressed
                    )
                )
            }
            packs.append(IndexFile.Pack(id: BlobID.hash([UInt8(p)]), blobs: blobs))
        }
        let ours = IndexFile(packs: packs, supersedes: [BlobID.hash([9])]).encoded()
        func same(_ a: IndexFile, _ b: IndexFile) -> Bool {
            a.supersedes == b.supersedes && a.packs.map { $0.id } == b.packs.map { $0.id }
                && a.packs.map { $0.blobs } == b.packs.map { $0.blobs }
        }
        let fast = try JSONScanner.indexFile(ours)
        #expect(same(fast, try IndexFile(referenceDecoding: ours, name: "ours")))
        #expect(fast.packs.map { $0.blobs } == packs.map { $0.blobs })
        #expect(fast.encoded() == ours)
        // restic's layout: whitespace, null lists and lengths, keys in another order, unknown keys skipped.
        let id = BlobID.hash([7]).hex
        let restic = Array(
            """
            { "packs" : [ {"blobs": [ {"offset":0,"type":"data","length":42,"id":"\(id)","uncompressed_length":null,"new":{"x":[1,2]}} ],
              "id":"\(id)"}, {"id":"\(id)","blobs":null} ],
              "supersedes": null, "extra": "ignored" }
            """.utf8
        )
        let fastRestic = try JSONScanner.indexFile(restic)
        #expect(same(fastRestic, try IndexFile(referenceDecoding: restic, name: "restic")))
        #expect(
            fastRestic.packs.first?.blobs == [
                PackEntry(type: .data, id: BlobID.hash([7]), offset: 0, length: 42, uncompressedLength: nil)
            ]
        )
        // What the fast path refuses goes to the reference decoder, which names the problem.
        for bad in [
            #"{"packs":[{"id":"zz","blobs":[]}]}"#,
            #"{"packs":[{"id":"\#(id)","blobs":[{"id":"\#(id)","type":"lock","offset":0,"length":1}]}]}"#,
            #"{"packs":[{"id":"\#(id)","blobs":[{"id":"\#(id)","type":"data","offset":-1,"length":1}]}]}"#, "{", "",
        ] {
            #expect(throws: (any Error).self) { _ = try JSONScanner.indexFile(Array(bad.utf8)) }
        }
        let error = try #require(throws: RepositoryError.self) {
            _ = try IndexFile(decoding: Array(#"{"packs":[{"id":"zz"}]}"#.utf8), name: "index/abc")
        }
        #expect(error.message.contains("index index/abc: invalid pack ID \"zz\""), "\(error.message)")
    }

    /// Regression (lifeboat-fuzz, restic-index and restic-tree targets): the fast scanner skipped unknown
    /// values recursively without a limit, so deeply nested arrays overflowed the stack.
    @Test func deeplyNestedUnknownValuesAreRejected() throws {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        let index = Array(#"{"unknown":\#(deep),"packs":[]}"#.utf8)
        let indexError = try #require(throws: RepositoryError.self) { _ = try IndexFile(decoding: index, name: "idx") }
        #expect(indexError.message.contains("index idx: invalid JSON"), "\(indexError.message)")
        let tree = Array(#"{"nodes":[{"name":"a","type":"file","x":\#(deep)}]}"#.utf8)
        #expect(throws: RepositoryError.self) { _ = try Tree(decoding: tree) }
        // Moderate nesting in unknown fields is still skipped.
        let moderate = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try IndexFile(decoding: Array(#"{"x":\#(moderate),"packs":[]}"#.utf8), name: "idx").packs.isEmpty)
    }

    /// Regression (lifeboat-fuzz, restic-key target): `r * p` overflowed (and trapped) before the scrypt
    /// parameters were rejected.
    @Test func keyFileWithOverflowingScryptParametersIsRejected() throws {
        let valid = try KeyFile.create(master: .random(), password: "pw", parameters: .init(n: 1024, r: 8, p: 3))
        for (r, p) in [(Int.max, 3), (1 << 40, 1 << 40), (3, Int.max)] {
            var key = valid
            (key.r, key.p) = (r, p)
            let decoded = try KeyFile(decoding: key.encoded(), name: "k")
            let error = try #require(throws: RepositoryError.self) { _ = try decoded.open(password: "pw") }
            #expect(error.message.contains("invalid scrypt parameters"), "\(error.message)")
        }
    }

    @Test func packHeaderRoundTrip() throws {
        let key = CryptoKey.random()
        var writer = PackWriter(capacity: 1024)
        let a = try key.seal(Array("data one".utf8))
        let b = try key.seal(Array("data two, compressed".utf8))
        writer.add(type: .data, id: BlobID.hash(Array("one".utf8)), sealed: a, uncompressedLength: nil)
        writer.add(type: .data, id: BlobID.hash(Array("two".utf8)), sealed: b, uncompressedLength: 99)
        let (bytes, entries) = try writer.finish(key: key)
        let parsed = try bytes.withUnsafeReadableBytes { try PackReader.entries(of: $0, key: key) }
        #expect(parsed == entries)
        #expect(bytes.readableBytes == Repository.packSize(entries))
        #expect(parsed[1].offset == a.count && parsed[1].uncompressedLength == 99)
    }

    @Test func excludePatterns() {
        let m = ExcludeMatcher(patterns: ["*.log", "/srv/cache", "tmp/x*"])
        #expect(m.excludes(Array("/a/b/c.log".utf8)))
        #expect(m.excludes(Array("/srv/cache".utf8)))
        #expect(!m.excludes(Array("/x/srv/cache".utf8)))
        #expect(m.excludes(Array("/q/tmp/xyz".utf8)))
        #expect(!m.excludes(Array("/q/tmp/yz".utf8)))
    }
}
