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
