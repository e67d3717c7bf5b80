import Foundation
import Kubernetes
import NIOCore
package import ObjectStorage

#if canImport(Glibc)
import Glibc
#endif

/// The items of a backup tarball, indexed before a restore touches the cluster (so a corrupt or truncated tarball
/// fails the restore before anything is created), with their JSON kept on disk rather than in memory.
///
/// Reading streams the tarball once: each item's JSON is appended to a spool file (created in the temporary folder
/// and unlinked at once, so it goes away with the process however that ends) and the index keeps only the item's
/// group-resource, namespace, name and place in the spool; `bytes(of:)` reads an item back when its turn comes.
/// Memory therefore grows with the number of items (about a hundred bytes each, group-resources and namespaces
/// shared), not with their size, and an item larger than `itemSizeBound` is refused, naming it.
///
/// For every item the legacy (unversioned) path is used; when a backup has only the
/// `<version>-preferredversion/` copy of an item (or only another version folder), that copy is used.
package struct BackupContents: Sendable {
    /// One backed-up object: where it came from in the tarball and where its JSON lies in the spool.
    package struct Item: Sendable, Hashable {
        package var groupResource: String
        /// The namespace it was backed up from (`nil` for cluster-scoped items).
        package var namespace: String?
        package var name: String
        /// The version folder it was read from (`v1-preferredversion`, …), nil for the legacy path.
        package var versionFolder: String?
        /// Offset and length of its JSON in the spool.
        var offset: Int64
        var length: Int
        /// Its place among all the backup's items (0 ..< `count`), to keep a mark for it.
        package internal(set) var ordinal = 0

        /// The path inside the tarball.
        package var path: String {
            "resources/\(groupResource)/" + (versionFolder.map { $0 + "/" } ?? "")
                + (namespace.map { "namespaces/\($0)" } ?? "cluster") + "/\(name).json"
        }
    }

    /// The largest item accepted by default (Kubernetes objects are at most a few MiB; etcd's default limit is
    /// 1.5 MiB).
    package static let defaultItemSizeBound = 64 * 1024 * 1024

    /// Items by canonical group-resource, each list sorted by namespace and name.
    package private(set) var itemsByGroupResource: [String: [Item]] = [:]
    /// The `metadata/version` content, when present.
    package private(set) var formatVersion: String?
    /// True when the tarball has no `resources/` entries at all (Velero warns "zero items to be restored").
    package var isEmpty: Bool { itemsByGroupResource.isEmpty }
    /// The number of items.
    package private(set) var count = 0
    /// Where the items' JSON is (nil when the tarball has none).
    private var spool: Spool?
    /// Total bytes of the items' JSON (all of it on disk, none in memory).
    package private(set) var spooledBytes = 0

    /// Every group-resource present.
    package var groupResources: [String] { itemsByGroupResource.keys.sorted() }

    package init() {}

    /// An item's JSON, read back from the spool.
    /// - Throws: `BackupEngineError` `.internal` when the spool cannot be read.
    package func bytes(of item: Item) throws -> [UInt8] {
        guard item.length > 0 else { return [] }
        guard let spool else {
            throw BackupEngineError(code: .internal, message: "\(item.path): the backup contents were not read")
        }
        return try spool.read(offset: item.offset, length: item.length, what: item.path)
    }

    /// Reads a gzip tarball stream.
    /// - Parameters:
    ///   - itemSizeBound: the largest item accepted; a larger member is an error naming it.
    ///   - spoolFolder: where the spool file is created (default: the temporary folder, `TMPDIR`).
    /// - Throws: `BackupEngineError` `.corruptBackup` naming the problem (bad gzip, truncated, bad tar header, a
    ///   member larger than the bound, a member outside `resources/` and `metadata/`), `.internal` when the spool
    ///   cannot be written.
    package static func read(
        _ body: ObjectBody,
        source: String,
        itemSizeBound: Int = defaultItemSizeBound,
        spoolFolder: String? = nil
    ) async throws -> BackupContents {
        let gzip: GzipDecompressor
        do { gzip = try GzipDecompressor() } catch { throw BackupEngineError(code: .internal, message: "\(error)") }
        var tar = TarReader(entrySizeBound: itemSizeBound)
        var contents = BackupContents()
        let spool = try Spool(folder: spoolFolder ?? FileManager.default.temporaryDirectory.path)
        contents.spool = spool
        var writer = SpoolWriter(spool: spool)
        var fallbacks: [String: Item] = [:]
        // The items read from their legacy path, per group-resource, by a hash of namespace and name.
        var legacy: [String: HashPositions] = [:]
        func hasLegacy(_ groupResource: String, namespace: String?, name: String) -> Bool {
            guard let index = legacy[groupResource], let items = contents.itemsByGroupResource[groupResource] else {
                return false
            }
            let hash = HashPositions.hash(namespace, name)
            return index.first(hash: hash) { items[$0].namespace == namespace && items[$0].name == name } != nil
        }
        // One String per distinct group-resource, namespace and version folder, shared by their items.
        var interned: [String: String] = [:]
        func intern(_ text: String) -> String {
            if let known = interned[text] { return known }
            interned[text] = text
            return text
        }
        func drain() throws {
            while let entry = try tar.next() {
                guard entry.isRegularFile else { continue }
                if entry.name == TarballPaths.versionFile {
                    contents.formatVersion = String(decoding: entry.contents, as: UTF8.self).trimmingCharacters(
                        in: .whitespacesAndNewlines
                    )
                    continue
                }
                try Self.checkMemberName(entry.name)
                guard let location = TarballPaths.parse(entry.name) else { continue }
                // A version folder's copy of an item read already is not kept (Velero and Lifeboat write the copy
                // right after the item).
                if location.versionFolder != nil,
                    hasLegacy(location.groupResource, namespace: location.namespace, name: location.name)
                {
                    continue
                }
                let offset = try writer.append(entry.contents)
                let item = Item(
                    groupResource: intern(location.groupResource),
                    namespace: location.namespace.map(intern),
                    name: location.name,
                    versionFolder: location.versionFolder.map(intern),
                    offset: offset,
                    length: entry.contents.count
                )
                if location.versionFolder == nil {
                    legacy[item.groupResource, default: HashPositions()].insert(
                        contents.itemsByGroupResource[item.groupResource]?.count ?? 0,
                        hash: HashPositions.hash(item.namespace, item.name)
                    )
                    contents.itemsByGroupResource[item.groupResource, default: []].append(item)
                } else {
                    let key = "\(location.groupResource)|\(location.namespace ?? "")|\(location.name)"
                    if fallbacks[key] == nil || location.isPreferredVersion { fallbacks[key] = item }
                }
            }
        }
        do {
            for try await chunk in body {
                // Fed and drained 128 KiB at a time: the tar reader holds at most one item and one piece.
                try gzip.decompress(Array(chunk.readableBytesView)) { piece in
                    tar.feed(piece)
                    try drain()
                }
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
        try writer.flush()
        contents.spooledBytes = writer.written
        for item in fallbacks.values where !hasLegacy(item.groupResource, namespace: item.namespace, name: item.name) {
            contents.itemsByGroupResource[item.groupResource, default: []].append(item)
        }
        legacy = [:]
        var ordinal = 0
        for key in contents.itemsByGroupResource.keys.sorted() {
            contents.itemsByGroupResource[key]?.sort { ($0.namespace ?? "", $0.name) < ($1.namespace ?? "", $1.name) }
            for position in contents.itemsByGroupResource[key]?.indices ?? 0..<0 {
                contents.itemsByGroupResource[key]?[position].ordinal = ordinal
                ordinal += 1
            }
        }
        contents.count = ordinal
        return contents
    }

    /// A member's name must stay inside the tarball's two folders: `resources/` (the items) and `metadata/`.
    static func checkMemberName(_ name: String) throws(ArchiveError) {
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        let inside =
            name.hasPrefix("resources/") || name.hasPrefix("metadata/") || name == "resources"
            || name == "metadata"
        guard inside, !name.hasPrefix("/"), !segments.contains("..") else {
            throw ArchiveError(code: .tar, message: "member \(name.debugDescription) is outside resources/")
        }
    }

    /// The items of one group-resource.
    package func items(_ groupResource: String) -> [Item] { itemsByGroupResource[groupResource] ?? [] }

    /// One item, if the backup has it.
    package func item(_ groupResource: String, namespace: String?, name: String) -> Item? {
        // The items are sorted by namespace and name: found by binary search.
        let items = items(groupResource)
        let target = (namespace ?? "", name)
        var low = 0
        var high = items.count
        while low < high {
            let middle = (low + high) / 2
            if (items[middle].namespace ?? "", items[middle].name) < target { low = middle + 1 } else { high = middle }
        }
        while low < items.count, (items[low].namespace ?? "", items[low].name) == target {
            if items[low].namespace == namespace { return items[low] }
            low += 1
        }
        return nil
    }
}

/// An anonymous file that holds the items' JSON: created and unlinked at once, closed with its last reference.
final class Spool: Sendable {
    let fd: Int32

    init(folder: String) throws {
        let path = folder + "/.lifeboat-restore-spool-\(UUID().uuidString)"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw BackupEngineError(
                code: .internal,
                message: "cannot create the restore's spool file in \(folder): \(String(cString: strerror(errno)))"
            )
        }
        unlink(path)
        self.fd = fd
    }

    deinit { close(fd) }

    /// `length` bytes at `offset`.
    func read(offset: Int64, length: Int, what: String) throws -> [UInt8] {
        var done = 0
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            while done < length {
                let n = pread(fd, buffer.baseAddress.map { $0 + done }, length - done, off_t(offset) + off_t(done))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    failure = n < 0 ? errno : EIO
                    break
                }
                done += n
            }
            initialized = done
        }
        guard done == length else {
            throw BackupEngineError(
                code: .internal,
                message: "cannot read \(what) back from the restore's spool file: \(String(cString: strerror(failure)))"
            )
        }
        return bytes
    }
}

/// Appends to a `Spool` through a 1 MiB buffer.
struct SpoolWriter {
    let spool: Spool
    private var buffer: [UInt8] = []
    /// Bytes appended so far (written or buffered).
    private(set) var written = 0

    init(spool: Spool) {
        self.spool = spool
        buffer.reserveCapacity(Self.bufferSize)
    }

    static let bufferSize = 1024 * 1024

    /// Appends `bytes`; returns their offset in the spool.
    mutating func append(_ bytes: [UInt8]) throws -> Int64 {
        let offset = Int64(written)
        if buffer.count + bytes.count > Self.bufferSize { try flush() }
        if bytes.count >= Self.bufferSize {
            try write(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        written += bytes.count
        return offset
    }

    /// Writes what is buffered.
    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(spool.fd, raw.baseAddress.map { $0 + done }, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw BackupEngineError(
                        code: .internal,
                        message: "cannot write the restore's spool file: \(String(cString: strerror(errno)))"
                    )
                }
                done += n
            }
        }
    }
}
