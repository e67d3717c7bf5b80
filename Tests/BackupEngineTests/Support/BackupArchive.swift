import Foundation
import Kubernetes
import NIOCore
import ObjectStorage

@testable import BackupEngine

/// A backup tarball read back from a store: every entry in order, and the items by path.
struct BackupArchive {
    struct Entry {
        var name: String
        var isRegularFile: Bool
        var contents: [UInt8]
    }

    /// Every entry in tarball order.
    var entries: [Entry]

    /// Reads `<name>.tar.gz` of a backup through `BackupStore.tarball(of:)`, gunzips and untars it.
    static func read(from store: BackupStore, backup name: String) async throws -> BackupArchive {
        var compressed: [UInt8] = []
        for try await chunk in try await store.tarball(of: name) { compressed += chunk.readableBytesView }
        return try parse(gzipped: compressed)
    }

    /// Parses a gzipped tarball; throws when the gzip stream or the tar is incomplete.
    static func parse(gzipped: [UInt8]) throws -> BackupArchive {
        let plain = try GzipDecompressor.decompress(gzipped)
        var reader = TarReader()
        reader.feed(plain)
        var entries: [Entry] = []
        while let entry = try reader.next() {
            entries.append(Entry(name: entry.name, isRegularFile: entry.isRegularFile, contents: entry.contents))
        }
        guard reader.isFinished else {
            throw BackupTestError("tarball has no end-of-archive marker after \(entries.count) entries")
        }
        return BackupArchive(entries: entries)
    }

    /// Legacy (unversioned) item paths, parsed.
    var itemLocations: [TarballPaths.ItemLocation] {
        entries.compactMap { TarballPaths.parse($0.name) }.filter { $0.versionFolder == nil }
    }

    /// Items as `"<group-resource> <ns>/<name>"` or `"<group-resource> <name>"` (legacy paths only).
    var keys: Set<String> {
        Set(itemLocations.map { Self.key($0.groupResource, $0.namespace, $0.name) })
    }

    static func key(_ groupResource: String, _ namespace: String?, _ name: String) -> String {
        namespace.map { "\(groupResource) \($0)/\(name)" } ?? "\(groupResource) \(name)"
    }

    /// The names (`ns/name` or `name`) of the items of one group-resource.
    func names(_ groupResource: String) -> Set<String> {
        Set(
            itemLocations.filter { $0.groupResource == groupResource }.map { loc in
                loc.namespace.map { "\($0)/\(loc.name)" } ?? loc.name
            }
        )
    }

    /// The object stored at a legacy item path.
    func object(_ groupResource: String, namespace: String?, name: String) throws -> KubeObject? {
        let path = TarballPaths.item(groupResource: groupResource, namespace: namespace, name: name)
        guard let entry = entries.first(where: { $0.name == path }) else { return nil }
        return try KubeObject(parsing: entry.contents)
    }
}
