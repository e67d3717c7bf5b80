import Foundation
import KubeSandboxTesting
import ProcessTesting
import Testing

@testable import BackupEngine

struct ArchiveTests {
    /// Runs the system's `tar` with `arguments` in `directory`.
    static func tar(_ arguments: [String], in directory: URL) async throws -> ChildProcess.Result {
        try await ChildProcess.run(try ChildProcess.find("tar"), arguments, directory: directory)
    }

    @Test(arguments: [0, 1, 1000, 300_000, 3_000_000])
    func gzipRoundTrip(size: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let input = (0..<size).map { i in i % 7 == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8(i % 251) }
        let compressed = try GzipCompressor.compress(input)
        #expect(compressed.prefix(2) == [0x1f, 0x8b])
        #expect(try GzipDecompressor.decompress(compressed) == input)
    }

    @Test func gzipRejectsCorruptAndTruncatedInput() throws {
        let compressed = try GzipCompressor.compress(Array(repeating: UInt8(ascii: "a"), count: 10_000))
        #expect(throws: ArchiveError.self) {
            try GzipDecompressor.decompress(Array(compressed.prefix(compressed.count / 2)))
        }
        var corrupt = compressed
        corrupt[12] ^= 0xff
        corrupt[13] ^= 0xff
        #expect(throws: ArchiveError.self) { try GzipDecompressor.decompress(corrupt) }
        #expect(throws: ArchiveError.self) { try GzipDecompressor.decompress(Array("not gzip at all".utf8)) }
    }

    @Test func tarballIsReadByGNUTar() async throws {
        try await withTemporaryDirectory(prefix: "lifeboat-archive") { dir in
            var writer = try BackupTarballWriter(modificationTime: 1_700_000_000, chunkSize: 4096)
            var bytes: [UInt8] = []
            let longNamespace = String(repeating: "n", count: 63)
            let longName = String(repeating: "x", count: 200)
            let items: [(String, String)] = [
                (
                    TarballPaths.item(groupResource: "configmaps", namespace: "demo", name: "cm1"),
                    #"{"kind":"ConfigMap"}"#
                ),
                (
                    TarballPaths.item(groupResource: "namespaces", namespace: nil, name: "demo"),
                    #"{"kind":"Namespace"}"#
                ),
                (
                    TarballPaths.item(groupResource: "widgets.example.com", namespace: longNamespace, name: longName),
                    #"{"kind":"Widget"}"#
                ),
            ]
            for (path, json) in items {
                if let chunk = try writer.append(path: path, contents: Array(json.utf8)) { bytes += chunk }
            }
            bytes += try writer.finish()
            let archive = dir.appendingPathComponent("b.tar.gz")
            try Data(bytes).write(to: archive)

            let listing = try await Self.tar(["-tzf", archive.path], in: dir)
            #expect(listing.status == 0, "\(listing.output)")
            let names = listing.stdout.split(separator: "\n").map(String.init)
            #expect(names.first == "metadata/version")
            #expect(names.dropFirst() == items.map(\.0)[...])

            let extract = try await Self.tar(["-xzf", archive.path], in: dir)
            #expect(extract.status == 0, "\(extract.output)")
            let version = try String(contentsOf: dir.appendingPathComponent("metadata/version"), encoding: .utf8)
            #expect(version == "1.1.0\n")
            let widget = try String(contentsOf: dir.appendingPathComponent(items[2].0), encoding: .utf8)
            #expect(widget == items[2].1)
        }
    }

    @Test func readsArchivesWrittenByGNUTarAndPythonPAX() async throws {
        try await withTemporaryDirectory(prefix: "lifeboat-archive") { dir in
            let deep =
                "resources/things.example.com/namespaces/" + String(repeating: "a", count: 60) + "/"
                + String(repeating: "b", count: 150) + ".json"
            let file = dir.appendingPathComponent("src").appendingPathComponent(deep)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(#"{"a":1}"#.utf8).write(to: file)
            for format in ["gnu", "pax", "ustar"] {
                let out = dir.appendingPathComponent("\(format).tar.gz")
                let result = try await Self.tar(
                    [
                        "--format=\(format)", "-czf", out.path, "-C", dir.appendingPathComponent("src").path,
                        "resources",
                    ],
                    in: dir
                )
                if format == "ustar" && result.status != 0 { continue }  // name too long for plain ustar: tar refuses
                #expect(result.status == 0, "\(result.output)")
                let plain = try GzipDecompressor.decompress([UInt8](try Data(contentsOf: out)))
                var reader = TarReader()
                reader.feed(plain)
                var files: [String: [UInt8]] = [:]
                while let entry = try reader.next() {
                    if entry.isRegularFile { files[entry.name] = entry.contents }
                }
                #expect(files[deep] == Array(#"{"a":1}"#.utf8), "format \(format): \(files.keys.sorted())")
            }
        }
    }

    @Test func tarReaderRejectsCorruptHeaders() throws {
        var tar = TarWriter(modificationTime: 0)
        var bytes: [UInt8] = []
        try tar.appendFile(name: "a.json", contents: Array("{}".utf8), into: &bytes)
        bytes[0] ^= 0x01
        var reader = TarReader()
        reader.feed(bytes)
        #expect(throws: ArchiveError.self) { _ = try reader.next() }
    }

    /// A ustar header block with a valid checksum; `size` is written in the 12-byte size field as given.
    static func header(name: String, type: UInt8, size: [UInt8]) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        block.replaceSubrange(0..<name.utf8.count, with: name.utf8)
        block.replaceSubrange(124..<(124 + size.count), with: size)
        block[156] = type
        block.replaceSubrange(257..<263, with: Array("ustar\u{0}".utf8))
        block.replaceSubrange(263..<265, with: Array("00".utf8))
        block.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
        let sum = Array(String(block.reduce(0) { $0 + Int($1) }, radix: 8).utf8)
        let checksum = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - sum.count) + sum + [0, 0x20]
        block.replaceSubrange(148..<156, with: checksum)
        return block
    }

    /// A tar stream: a PAX header carrying `records`, then an empty regular file, then the end marker.
    static func paxArchive(_ records: String) -> [UInt8] {
        let data = Array(records.utf8)
        let octalSize = Array(String(data.count, radix: 8).utf8)
        var bytes = header(name: "PaxHeaders.0/a", type: UInt8(ascii: "x"), size: octalSize)
        bytes += data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        bytes += header(name: "a.json", type: UInt8(ascii: "0"), size: Array("0".utf8))
        return bytes + [UInt8](repeating: 0, count: 1024)
    }

    /// Regression (lifeboat-fuzz, tar target): a PAX record whose length is shorter than its own "<length> "
    /// prefix sliced a negative range and trapped; a negative or oversized PAX or base-256 size did too.
    @Test(arguments: [
        "1 x\n", "3 path=a\n", "99999999999999999999 path=a\n", "9223372036854775807 path=a\n",
        "12 path=abc", "13 size=-512\n", "28 size=9223372036854775807\n",
    ])
    func tarReaderRejectsMalformedPAXRecords(records: String) throws {
        var reader = TarReader()
        reader.feed(Self.paxArchive(records))
        let error = try #require(throws: ArchiveError.self) { while try reader.next() != nil {} }
        #expect(error.code == .tar)
        #expect(error.message.contains("PAX header") || error.message.contains("size"), "\(error.message)")
    }

    @Test func tarReaderRejectsOutOfRangeBase256Sizes() throws {
        for size: [UInt8] in [
            [0xff] + [UInt8](repeating: 0xff, count: 11), [0x80] + [UInt8](repeating: 0xff, count: 11),
        ] {
            var reader = TarReader()
            reader.feed(
                Self.header(name: "a.json", type: UInt8(ascii: "0"), size: size) + [UInt8](repeating: 0, count: 1024)
            )
            #expect(throws: ArchiveError.self) { _ = try reader.next() }
        }
        var reader = TarReader()
        reader.feed(Self.paxArchive("11 path=ab\n"))
        #expect(try reader.next()?.name == "ab")
    }

    @Test func itemPathsRoundTrip() {
        let legacy = TarballPaths.item(groupResource: "deployments.apps", namespace: "ns", name: "web")
        #expect(legacy == "resources/deployments.apps/namespaces/ns/web.json")
        let preferred = TarballPaths.preferredVersionItem(
            groupResource: "persistentvolumes",
            version: "v1",
            namespace: nil,
            name: "pv1"
        )
        #expect(preferred == "resources/persistentvolumes/v1-preferredversion/cluster/pv1.json")
        let parsed = TarballPaths.parse(preferred)
        #expect(parsed?.groupResource == "persistentvolumes")
        #expect(parsed?.version == "v1")
        #expect(parsed?.isPreferredVersion == true)
        #expect(parsed?.namespace == nil)
        #expect(TarballPaths.parse(legacy)?.namespace == "ns")
        #expect(TarballPaths.parse("metadata/version") == nil)
        #expect(TarballPaths.parse("resources/pods/namespaces//x.json") == nil)
    }
}
