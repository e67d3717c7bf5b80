import Foundation
package import Logging
import ObjectStorage

/// What `prune` did.
package struct PruneSummary: Sendable {
    package var packsDeleted = 0
    package var packsRepacked = 0
    package var packsKept = 0
    package var blobsRemoved = 0
    package var bytesFreed: Int = 0
    package var indexFilesReplaced = 0
    /// Pack files no index refers to (left by a backup killed before it wrote its index), removed.
    package var unreferencedPacksDeleted = 0
    /// What writes interrupted by a kill left (temporary files, unfinished S3 multipart uploads), removed.
    package var abandonedWritesRemoved = 0
}

extension Repository {
    /// Deletes data no snapshot uses: unused packs are removed, partly used packs are rewritten, and the
    /// index is replaced by one that supersedes the old index files. What killed backups left behind goes
    /// too: pack files no index refers to, and the store's temporary files of interrupted writes (safe under
    /// the exclusive lock: no other writer is running).
    package func prune(logger: Logger) async throws -> PruneSummary {
        try await withLock(exclusive: true, logger: logger) {
            try await runPrune(logger: logger)
        }
    }

    private func runPrune(logger: Logger) async throws -> PruneSummary {
        let started = Date()
        // What backups that finished since the repository was opened indexed (none can run now).
        try await loadIndex(logger: logger)
        var summary = PruneSummary()
        var used = Set<BlobHandle>()
        var seen = Set<BlobID>()
        for entry in try await snapshots() {
            try await markUsed(entry.snapshot.tree, used: &used, seen: &seen)
        }
        let packs = index.packs
        let oldIndexes = try await list(.index).map(\.id)
        let stored = Set(try await list(.data).map(\.id))
        var keepPacks: [IndexFile.Pack] = []
        var deletePacks: [BlobID] = []
        var written = Set<BlobHandle>()
        var writers: [BlobType: PackWriter] = [:]
        _ = index.takeUnsaved()
        for (pack, entries) in packs {
            let usedEntries = entries.filter { used.contains(BlobHandle(id: $0.id, type: $0.type)) }
            if usedEntries.count == entries.count && stored.contains(pack) {
                keepPacks.append(IndexFile.Pack(id: pack, blobs: entries))
                for entry in entries { written.insert(BlobHandle(id: entry.id, type: entry.type)) }
                summary.packsKept += 1
                continue
            }
            deletePacks.append(pack)
            summary.blobsRemoved += entries.count - usedEntries.count
            if usedEntries.isEmpty {
                summary.packsDeleted += 1
                continue
            }
            summary.packsRepacked += 1
            let bytes = try await read(objectKey(.data, pack))
            for e in usedEntries where !written.contains(BlobHandle(id: e.id, type: e.type)) {
                // Verify before copying the ciphertext as is.
                _ = try bytes.withUnsafeBytes { try decodeBlob(e, in: $0) }
                var writer =
                    writers.removeValue(forKey: e.type) ?? PackWriter(capacity: configuration.packSize + 1024 * 1024)
                writer.add(
                    type: e.type,
                    id: e.id,
                    sealed: Array(bytes[e.offset..<(e.offset + e.length)]),
                    uncompressedLength: e.uncompressedLength
                )
                written.insert(BlobHandle(id: e.id, type: e.type))
                if writer.size >= configuration.packSize {
                    try await upload(try writer.seal(key: key))
                } else {
                    writers[e.type] = writer
                }
            }
        }
        for type in Array(writers.keys) {
            if var writer = writers.removeValue(forKey: type), !writer.isEmpty {
                try await upload(try writer.seal(key: key))
            }
        }
        let repacked = index.takeUnsaved()
        let newIndex = IndexFile(packs: keepPacks + repacked, supersedes: oldIndexes)
        _ = try await saveUnpacked(.index, newIndex.encoded())
        for id in oldIndexes { try await store.delete(objectKey(.index, id)) }
        summary.indexFilesReplaced = oldIndexes.count
        let sizes = Dictionary(try await list(.data).map { ($0.id, $0.size) }, uniquingKeysWith: { a, _ in a })
        let indexed = Set(packs.keys)
        let unreferenced = stored.filter { !indexed.contains($0) }
        for pack in deletePacks + unreferenced.sorted(by: { $0.description < $1.description }) {
            summary.bytesFreed += sizes[pack] ?? 0
            try await store.delete(objectKey(.data, pack))
        }
        summary.unreferencedPacksDeleted = unreferenced.count
        // Only the repository's own folders: a repository at a bucket's root must not abort the uploads of
        // other writers in the same bucket.
        for kind in [FileKind.data, .index, .snapshots, .keys, .locks] {
            summary.abandonedWritesRemoved += try await store.removeAbandonedWrites(
                prefix: prefix + kind.rawValue + "/",
                before: started
            )
        }
        logger.info(
            "prune finished",
            metadata: ["packs.deleted": "\(summary.packsDeleted)", "packs.repacked": "\(summary.packsRepacked)"]
        )
        return summary
    }

    private func markUsed(_ tree: BlobID, used: inout Set<BlobHandle>, seen: inout Set<BlobID>) async throws {
        used.insert(BlobHandle(id: tree, type: .tree))
        guard seen.insert(tree).inserted else { return }
        for node in try await loadTree(tree).nodes {
            for id in node.content ?? [] { used.insert(BlobHandle(id: id, type: .data)) }
            if let sub = node.subtree { try await markUsed(sub, used: &used, seen: &seen) }
        }
    }
}
