import VolumeRepository

/// The restic-format files a repository holds (`reference/restic-format.md`), as they read after decryption:
/// index files, tree blobs (with their nodes), pack headers, key files, the config file and snapshots.
/// Valid inputs are written by VolumeRepository's own encoders.
enum RepositoryTargets {
    static let jsonDictionary = [
        "\"packs\"", "\"blobs\"", "\"supersedes\"", "\"id\"", "\"type\"", "\"data\"", "\"tree\"", "\"offset\"",
        "\"length\"", "\"uncompressed_length\"", "\"nodes\"", "\"name\"", "\"mode\"", "\"mtime\"", "\"content\"",
        "\"subtree\"", "\"linktarget\"", "\"linktarget_raw\"", "\"extended_attributes\"", "\"size\"", "\"links\"",
        "\"uid\"", "\"gid\"", "\"inode\"", "\"device_id\"", "\"time\"", "\"paths\"", "\"parent\"", "\"hostname\"",
        "\"2026-02-30T25:00:00.999999999999+99:99\"", "\"0001-01-01T00:00:00Z\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"",
        String(repeating: "0", count: 64), String(repeating: "f", count: 64), "\"file\"", "\"dir\"", "\"symlink\"",
    ]

    static let blobA = BlobID(bytes: [UInt8](repeating: 0xab, count: 32))!
    static let blobB = BlobID(bytes: (0..<32).map { UInt8($0) })!

    // MARK: index

    static let index = FuzzTarget(
        name: "restic-index",
        summary: "index file JSON (fast scanner, then the reference decoder)",
        defaultRuns: 8_000,
        mutator: Mutator(textAware: true, dictionary: jsonDictionary),
        corpus: {
            let packs = [
                IndexFile.Pack(
                    id: blobA,
                    blobs: [
                        PackEntry(type: .data, id: blobB, offset: 0, length: 100, uncompressedLength: 300),
                        PackEntry(type: .tree, id: blobA, offset: 100, length: 64, uncompressedLength: nil),
                    ]
                )
            ]
            return [
                IndexFile(packs: packs, supersedes: [blobB]).encoded(), IndexFile().encoded(),
            ]
        },
        run: { input in _ = try IndexFile(decoding: input, name: "fuzz") }
    )

    // MARK: tree

    static let tree = FuzzTarget(
        name: "restic-tree",
        summary: "tree blob JSON and its nodes, decoded, re-encoded and decoded again",
        defaultRuns: 8_000,
        mutator: Mutator(textAware: true, dictionary: jsonDictionary),
        corpus: { [sampleTree().encoded(), Tree().encoded()] },
        run: { input in
            let tree = try Tree(decoding: input)
            do { _ = try Tree(decoding: tree.encoded()) } catch {
                throw FuzzOracleFailure("a decoded tree does not decode again after encoding: \(error)")
            }
        }
    )

    static func sampleTree() -> Tree {
        var file = Node(nameBytes: Array("data.bin".utf8), type: .file)
        file.mode = 0o644
        file.size = 1234
        file.content = [blobA, blobB]
        file.mtime = GoTime(seconds: 1_700_000_000, nanoseconds: 123_456_789, utcOffset: 3600)
        file.extendedAttributes = [ExtendedAttribute(name: "user.a", value: [0, 1, 0xff])]
        var dir = Node(nameBytes: [0x64, 0xff, 0x69, 0x72], type: .dir)
        dir.mode = 0x8000_01ed
        dir.subtree = blobB
        var link = Node(nameBytes: Array("link".utf8), type: .symlink)
        link.linkTarget = Array("../target é".utf8)
        var device = Node(nameBytes: Array("null".utf8), type: .chardev)
        device.device = 259
        return Tree(nodes: [file, dir, link, device])
    }

    // MARK: pack header

    static let packKey = CryptoKey.random()

    static let packHeader = FuzzTarget(
        name: "restic-pack-header",
        summary: "pack header entries (decrypted), read from a pack whose tail the fuzzer also mutates",
        defaultRuns: 12_000,
        mutator: Mutator(maximumSize: 1 << 18, textAware: false),
        corpus: {
            [
                header([(0, 100, nil), (1, 80, nil), (2, 60, 500), (3, 33, 40)]),
                header([(0, 32, nil)]),
                header([]),
            ]
        },
        run: { input in
            // The raw input as a whole pack (its last 4 bytes are the header length), then the input as the
            // decrypted header of a pack with 64 KiB of data.
            _ = try? input.withUnsafeBytes { try PackReader.entries(of: $0, key: packKey) }
            let sealed = try packKey.seal(input)
            let length = UInt32(sealed.count)
            let pack =
                [UInt8](repeating: 0, count: 64 << 10) + sealed
                + (0..<4).map { UInt8(truncatingIfNeeded: length >> ($0 * 8)) }
            _ = try pack.withUnsafeBytes { try PackReader.entries(of: $0, key: packKey) }
        }
    )

    /// A pack header: per entry its type (0 data, 1 tree, 2/3 compressed), length, uncompressed length, ID.
    static func header(_ entries: [(type: UInt8, length: UInt32, plain: UInt32?)]) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { out += (0..<4).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
        for (i, entry) in entries.enumerated() {
            out.append(entry.type)
            u32(entry.length)
            if let plain = entry.plain { u32(plain) }
            out += [UInt8](repeating: UInt8(i), count: 32)
        }
        return out
    }

    // MARK: key file

    static let keyFile = FuzzTarget(
        name: "restic-key",
        summary: "key file JSON, decoded and opened with the password (when its scrypt cost is small)",
        defaultRuns: 3_000,
        mutator: Mutator(
            textAware: true,
            dictionary: [
                "\"N\"", "\"r\"", "\"p\"", "\"kdf\"", "\"scrypt\"", "\"salt\"", "\"data\"", "\"created\"",
                "1024", "1099511627776", "4294967296", "-9223372036854775808", "\"====\"", "\"AA==\"",
            ]
        ),
        corpus: {
            let key = try KeyFile.create(
                master: CryptoKey.random(),
                password: "fuzz",
                parameters: .init(n: 1024, r: 8, p: 3)
            )
            return [key.encoded()]
        },
        run: { input in
            let key = try KeyFile(decoding: input, name: "fuzz")
            // Valid but expensive scrypt parameters (restic accepts them too) would only measure scrypt.
            let expensive =
                (key.n > 1 << 14 && key.n <= 1 << 24 && key.n & (key.n - 1) == 0)
                || (16..<(1 << 20)).contains(key.r) || (4..<(1 << 20)).contains(key.p)
            if !expensive { _ = try key.open(password: "fuzz") }
        }
    )

    // MARK: config, snapshot

    static let config = FuzzTarget(
        name: "restic-config",
        summary: "repository config JSON, decoded, re-encoded and decoded again",
        defaultRuns: 8_000,
        mutator: Mutator(textAware: true, dictionary: ["\"version\"", "\"id\"", "\"chunker_polynomial\""]),
        corpus: {
            [
                RepositoryConfig(
                    version: 2,
                    id: String(repeating: "5", count: 64),
                    chunkerPolynomial: .init(0x3D_A335_8B4D_C173)
                )
                .encoded()
            ]
        },
        run: { input in
            let config = try RepositoryConfig(decoding: input)
            do { _ = try RepositoryConfig(decoding: config.encoded()) } catch {
                throw FuzzOracleFailure("a decoded config does not decode again after encoding: \(error)")
            }
        }
    )

    static let snapshot = FuzzTarget(
        name: "restic-snapshot",
        summary: "snapshot JSON, decoded, re-encoded and decoded again",
        defaultRuns: 8_000,
        mutator: Mutator(textAware: true, dictionary: jsonDictionary + ["\"tags\"", "\"excludes\"", "\"original\""]),
        corpus: {
            var snapshot = Snapshot(
                time: GoTime(seconds: 1_700_000_000, nanoseconds: 5, utcOffset: -7200),
                tree: blobA,
                paths: ["/data", "/var/lib/é"]
            )
            snapshot.parent = blobB
            snapshot.hostname = "node1"
            snapshot.tags = ["velero", "pod=web-0"]
            snapshot.uid = 1000
            return [snapshot.encoded()]
        },
        run: { input in
            let snapshot = try Snapshot(decoding: input, name: "fuzz")
            do { _ = try Snapshot(decoding: snapshot.encoded(), name: "fuzz") } catch {
                throw FuzzOracleFailure("a decoded snapshot does not decode again after encoding: \(error)")
            }
        }
    )
}
