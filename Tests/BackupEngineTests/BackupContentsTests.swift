import Foundation
import KubeSandboxTesting
import ObjectStorage
import Testing

@testable import BackupEngine

/// The restore's index of a tarball: items kept on disk and read back on demand, with bounds on what it accepts.
struct BackupContentsTests {
    /// A gzip tarball of `entries` (path, contents), written as a backup is.
    static func tarball(_ entries: [(String, [UInt8])]) throws -> [UInt8] {
        var writer = try BackupTarballWriter(modificationTime: 1_700_000_000, chunkSize: 4096)
        var bytes: [UInt8] = []
        for (path, contents) in entries {
            if let chunk = try writer.append(path: path, contents: contents) { bytes += chunk }
        }
        return bytes + (try writer.finish())
    }

    static func item(_ groupResource: String, _ namespace: String?, _ name: String) -> String {
        TarballPaths.item(groupResource: groupResource, namespace: namespace, name: name)
    }

    @Test func itemsAreReadBackFromTheSpoolByteForByte() async throws {
        try await withTemporaryDirectory(prefix: "lifeboat-spool") { folder in
            var entries: [(String, [UInt8])] = []
            for index in 0..<300 {
                // Sizes from empty to over the spool writer's buffer, so items cross its flushes.
                let size = index == 0 ? 0 : (index * 7919) % (3 * SpoolWriter.bufferSize / 2)
                entries.append(
                    (
                        Self.item("configmaps", "ns\(index % 3)", "cm\(index)"),
                        Array(repeating: UInt8(index % 251), count: size)
                    )
                )
            }
            entries.append(
                ("resources/widgets.example.com/v2-preferredversion/cluster/w.json", Array("{\"v\":2}".utf8))
            )
            let contents = try await BackupContents.read(
                ObjectBody(bytes: try Self.tarball(entries)),
                source: "t.tar.gz",
                spoolFolder: folder.path
            )
            for (path, bytes) in entries {
                let location = try #require(TarballPaths.parse(path))
                let item = try #require(
                    contents.item(location.groupResource, namespace: location.namespace, name: location.name)
                )
                #expect(item.path == path)
                #expect(try contents.bytes(of: item) == bytes, "\(path)")
            }
            #expect(contents.spooledBytes == entries.reduce(0) { $0 + $1.1.count })
            // The spool is unlinked at once: nothing is left in its folder, whatever happens to the process.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        }
    }

    @Test func aMemberLargerThanTheBoundIsRefusedByName() async throws {
        let path = Self.item("configmaps", "big", "huge")
        let bytes = try Self.tarball([
            (Self.item("configmaps", "big", "small"), Array(repeating: 1, count: 100)),
            (path, Array(repeating: 2, count: 10_000)),
        ])
        do {
            _ = try await BackupContents.read(ObjectBody(bytes: bytes), source: "b.tar.gz", itemSizeBound: 4096)
            Issue.record("an item over the bound was accepted")
        } catch let error as BackupEngineError {
            #expect(error.code == .corruptBackup)
            #expect(error.message.contains(path) && error.message.contains("10000 bytes"), "\(error.message)")
            #expect(error.message.contains("bound of 4096 bytes"), "\(error.message)")
        }
    }

    @Test(arguments: ["other/file.json", "../escape.json", "resources/../../etc/passwd", "/etc/passwd"])
    func aMemberOutsideResourcesIsRefusedByName(_ path: String) async throws {
        let bytes = try Self.tarball([(Self.item("configmaps", "a", "b"), Array("{}".utf8)), (path, Array("x".utf8))])
        do {
            _ = try await BackupContents.read(ObjectBody(bytes: bytes), source: "b.tar.gz")
            Issue.record("member \(path) was accepted")
        } catch let error as BackupEngineError {
            #expect(error.code == .corruptBackup)
            #expect(error.message.contains("member \(path.debugDescription) is outside resources/"), "\(error.message)")
        }
    }

    /// gzip output a hundredfold the input is fed to the tar reader in pieces, not whole.
    @Test func highlyCompressedItemsAreIndexedInPieces() async throws {
        let entries = (0..<20).map {
            (Self.item("configmaps", "z", "cm\($0)"), Array(repeating: UInt8(ascii: "a"), count: 2 << 20))
        }
        let bytes = try Self.tarball(entries)
        #expect(bytes.count < 1 << 20)
        var pieces = 0
        var largest = 0
        try GzipDecompressor().decompress(bytes) { piece in
            pieces += 1
            largest = max(largest, piece.count)
        }
        #expect(pieces > 300 && largest <= 128 * 1024)
        let contents = try await BackupContents.read(ObjectBody(bytes: bytes), source: "z.tar.gz")
        #expect(contents.items("configmaps").count == 20)
        #expect(contents.spooledBytes == 20 * (2 << 20))
    }
}
