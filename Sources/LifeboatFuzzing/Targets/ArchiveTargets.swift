import BackupEngine
import Kubernetes
import ObjectStorage

/// Backup tarballs (velero.md §4): the gzip stream as stored, and the tar stream inside it.
///
/// Both go through `BackupContents.read` (what a restore reads) and then parse every item's JSON, as
/// the restore does before touching the cluster.
enum ArchiveTargets {
    static let dictionary = [
        "resources/", "namespaces/", "cluster/", ".json", "metadata/version", "-preferredversion", "ustar\u{0}00",
        "ustar  \u{0}", "PaxHeaders.0/", " path=", " size=", "30 path=", "20 size=99999999999\n", "x", "L", "g",
        "\u{80}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}", "77777777777", "-1", "0000644",
    ]

    static let tarball = FuzzTarget(
        name: "tarball",
        summary: "backup tarball <name>.tar.gz (gzip + tar + item JSON)",
        defaultRuns: 6_000,
        mutator: Mutator(maximumSize: 1 << 20, textAware: false, dictionary: dictionary),
        corpus: { try corpusTarballs() },
        run: { try await readTarball($0) }
    )

    static let tar = FuzzTarget(
        name: "tar",
        summary: "the tar stream inside a backup tarball (checksums re-computed after mutation)",
        defaultRuns: 8_000,
        mutator: Mutator(maximumSize: 1 << 20, textAware: true, dictionary: dictionary),
        corpus: { try corpusTarballs().map { try GzipDecompressor.decompress($0) } },
        fixup: { input, random in random.chance(0.9) ? fixChecksums(input) : input },
        run: { try await readTarball(GzipCompressor.compress($0, level: 1)) }
    )

    /// Reads a tarball as a restore does and parses every item.
    static func readTarball(_ bytes: [UInt8]) async throws {
        let contents = try await BackupContents.read(ObjectBody(bytes: bytes), source: "fuzz.tar.gz")
        for groupResource in contents.groupResources {
            for item in contents.items(groupResource) { _ = try JSONValue(parsing: try contents.bytes(of: item)) }
        }
    }

    /// Valid tarballs written by the project's own writer: items in namespaces and at cluster scope, a
    /// preferred-version copy, a name too long for ustar (PAX record), an empty backup.
    static func corpusTarballs() throws -> [[UInt8]] {
        let configMap =
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"app"},"#
            + #""data":{"k":"v","n":"1"}}"#
        let namespace = #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app","labels":{"a":"b"}}}"#
        let deployment =
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"app"},"#
            + #""spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}}}"#
        let longName = String(repeating: "very-long-config-map-name-", count: 8)
        let sets: [[(String, String)]] = [
            [
                (TarballPaths.item(groupResource: "namespaces", namespace: nil, name: "app"), namespace),
                (TarballPaths.item(groupResource: "configmaps", namespace: "app", name: "cm"), configMap),
                (
                    TarballPaths.preferredVersionItem(
                        groupResource: "configmaps",
                        version: "v1",
                        namespace: "app",
                        name: "cm"
                    ), configMap
                ),
                (TarballPaths.item(groupResource: "deployments.apps", namespace: "app", name: "web"), deployment),
            ],
            [(TarballPaths.item(groupResource: "configmaps", namespace: "app", name: longName), configMap)],
            [],
        ]
        return try sets.map { items in
            var writer = try BackupTarballWriter(modificationTime: 1_700_000_000, chunkSize: 1 << 30)
            var out: [UInt8] = []
            for (path, json) in items {
                if let chunk = try writer.append(path: path, contents: Array(json.utf8)) { out += chunk }
            }
            out += try writer.finish()
            return out
        }
    }

    /// Re-computes the checksum of every 512-byte block that looks like a tar header, so that mutations of
    /// the other header fields reach the parser's later checks.
    static func fixChecksums(_ input: [UInt8]) -> [UInt8] {
        var data = input
        var offset = 0
        while offset + 512 <= data.count {
            let magic = data[(offset + 257)..<(offset + 262)]
            if magic.elementsEqual("ustar".utf8) {
                for i in 148..<156 { data[offset + i] = 0x20 }
                let sum = data[offset..<(offset + 512)].reduce(0) { $0 + Int($1) }
                let digits = Array(String(sum, radix: 8).utf8)
                let field = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 6 - digits.count)) + digits.suffix(6)
                for (i, byte) in field.enumerated() { data[offset + 148 + i] = byte }
                data[offset + 154] = 0
                data[offset + 155] = 0x20
            }
            offset += 512
        }
        return data
    }
}
