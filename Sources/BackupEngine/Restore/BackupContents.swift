import Foundation
import Kubernetes
import NIOCore
package import ObjectStorage

/// The items of a backup tarball, read whole before a restore touches the cluster (so a corrupt
/// or truncated tarball fails the restore before anything is created).
///
/// For every item the legacy (unversioned) path is used; when a backup has only the
/// `<version>-preferredversion/` copy of an item (or only another version folder), that copy is used.
package struct BackupContents: Sendable {
    /// One backed-up object.
    package struct Item: Sendable, Hashable {
        package var groupResource: String
        /// The namespace it was backed up from (`nil` for cluster-scoped items).
        package var namespace: String?
        package var name: String
        /// The path inside the tarball.
        package var path: String
        /// The object's JSON.
        package var bytes: [UInt8]
    }

    /// Items by canonical group-resource, each list sorted by namespace and name.
    package private(set) var itemsByGroupResource: [String: [Item]] = [:]
    /// The `metadata/version` content, when present.
    package private(set) var formatVersion: String?
    /// True when the tarball has no `resources/` entries at all (Velero warns "zero items to be restored").
    package var isEmpty: Bool { itemsByGroupResource.isEmpty }

    /// Every group-resource present.
    package var groupResources: [String] { itemsByGroupResource.keys.sorted() }

    package init() {}

    /// Reads a gzip tarball stream.
    /// - Throws: `BackupEngineError` `.corruptBackup` naming the problem (bad gzip, truncated, bad tar header).
    package static func read(_ body: ObjectBody, source: String) async throws -> BackupContents {
        let gzip: GzipDecompressor
        do { gzip = try GzipDecompressor() } catch { throw BackupEngineError(code: .internal, message: "\(error)") }
        var tar = TarReader()
        var contents = BackupContents()
        var fallbacks: [String: Item] = [:]
        var legacy: Set<String> = []
        var plain: [UInt8] = []
        func drain() throws {
            while let entry = try tar.next() {
                guard entry.isRegularFile else { continue }
                if entry.name == TarballPaths.versionFile {
                    contents.formatVersion = String(decoding: entry.contents, as: UTF8.self).trimmingCharacters(
                        in: .whitespacesAndNewlines
                    )
                    continue
                }
                guard let location = TarballPaths.parse(entry.name) else { continue }
                let key = "\(location.groupResource)|\(location.namespace ?? "")|\(location.name)"
                let item = Item(
                    groupResource: location.groupResource,
                    namespace: location.namespace,
                    name: location.name,
                    path: entry.name,
                    bytes: entry.contents
                )
                if location.versionFolder == nil {
                    legacy.insert(key)
                    contents.itemsByGroupResource[location.groupResource, default: []].append(item)
                } else if fallbacks[key] == nil || location.isPreferredVersion {
                    fallbacks[key] = item
                }
            }
        }
        do {
            for try await chunk in body {
                plain.removeAll(keepingCapacity: true)
                try gzip.decompress(Array(chunk.readableBytesView), into: &plain)
                tar.feed(plain)
                try drain()
            }
            guard gzip.isFinished else {
                throw ArchiveError(
                    code: .truncated,
                    message: "the gzip stream ends early (truncated download or upload)"
                )
            }
            try drain()
            guard tar.isFinished || (tar.entriesRead > 0 && tar.pendingBytes == 0) else {
                throw ArchiveError(code: .truncated, message: "the tar archive is truncated (it ends inside an entry)")
            }
        } catch let error as ArchiveError {
            throw BackupEngineError(
                code: .corruptBackup,
                message: "backup tarball \(source) is corrupt: \(error.message)"
            )
        }
        for (key, item) in fallbacks where !legacy.contains(key) {
            contents.itemsByGroupResource[item.groupResource, default: []].append(item)
        }
        for key in contents.itemsByGroupResource.keys {
            contents.itemsByGroupResource[key]?.sort { ($0.namespace ?? "", $0.name) < ($1.namespace ?? "", $1.name) }
        }
        return contents
    }

    /// The items of one group-resource.
    package func items(_ groupResource: String) -> [Item] { itemsByGroupResource[groupResource] ?? [] }

    /// One item, if the backup has it.
    package func item(_ groupResource: String, namespace: String?, name: String) -> Item? {
        items(groupResource).first { $0.namespace == namespace && $0.name == name }
    }
}
