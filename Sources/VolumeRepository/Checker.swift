package import Logging
import NIOCore
import Synchronization

/// What `check` found.
package struct CheckReport: Sendable {
    /// Problems that make the repository inconsistent (non-zero exit).
    package var errors: [String] = []
    /// Non-fatal findings (unused blobs, packs not in any index).
    package var hints: [String] = []
    /// Blobs that failed to read, decrypt or verify.
    package var damagedBlobs: Set<BlobID> = []
    /// Files (snapshot ID short + path) whose content uses a damaged or missing blob.
    package var damagedFiles: [String] = []
    package var snapshots = 0
    package var packs = 0
    package var packsRead = 0

    package var isClean: Bool { errors.isEmpty }
}

extension Repository {
    /// Verifies the repository like `restic check`: index vs packs, snapshots and trees, and with
    /// `readData` every pack's hash, header and blobs.
    package func check(readData: Bool, logger: Logger) async throws -> CheckReport {
        try await withLock(exclusive: true, logger: logger) {
            try await runCheck(readData: readData, logger: logger)
        }
    }

    private func runCheck(readData: Bool, logger: Logger) async throws -> CheckReport {
        var report = CheckReport()
        // 1. Index files.
        var indexed: [BlobID: [PackEntry]] = [:]
        var packIndexCount: [BlobID: Int] = [:]
        for (id, _) in try await list(.index) {
            do {
                let file = try IndexFile(decoding: try await loadUnpacked(.index, id), name: id.hex)
                for pack in file.packs {
                    indexed[pack.id, default: []] += pack.blobs
                    packIndexCount[pack.id, default: 0] += 1
                    let types = Set(pack.blobs.map(\.type))
                    if types.count > 1 { report.hints.append("pack \(pack.id.short): contains data and tree blobs") }
                }
            } catch {
                report.errors.append("index \(id.hex): \(error)")
            }
        }
        for (pack, n) in packIndexCount where n > 1 {
            report.hints.append("pack \(pack.short): referenced in \(n) index files")
        }
        // 2. Packs vs index.
        let stored = Dictionary(try await list(.data).map { ($0.id, $0.size) }, uniquingKeysWith: { a, _ in a })
        report.packs = stored.count
        for (pack, entries) in indexed {
            let expected = Self.packSize(entries)
            guard let size = stored[pack] else {
                report.errors.append("pack \(pack.hex): referenced in the index but missing")
                for e in entries { report.damagedBlobs.insert(e.id) }
                continue
            }
            if size != expected {
                report.errors.append("pack \(pack.hex): size \(size) does not match \(expected) from the index")
            }
        }
        for pack in stored.keys where indexed[pack] == nil {
            report.hints.append("pack \(pack.hex): not referenced in any index (run prune)")
        }
        // 3. Read data.
        if readData {
            let limiter = AsyncLimiter(limit: configuration.parallelism)
            let results = Locked<(errors: [String], damaged: Set<BlobID>, read: Int)>(([], [], 0))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (pack, entries) in indexed where stored[pack] != nil {
                    group.addTask {
                        await limiter.withSlot {
                            let (errs, damaged) = await self.verifyPack(pack, indexEntries: entries)
                            results.withLock { r in
                                r.errors += errs
                                r.damaged.formUnion(damaged)
                                r.read += 1
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let r = results.withLock { $0 }
            report.errors += r.errors
            report.damagedBlobs.formUnion(r.damaged)
            report.packsRead = r.read
        }
        // 4. Snapshots and trees.
        var seenTrees = Set<BlobID>()
        var usedBlobs = Set<BlobHandle>()
        let indexView = Dictionary(
            indexed.flatMap { p in p.value.map { (BlobHandle(id: $0.id, type: $0.type), p.key) } },
            uniquingKeysWith: { a, _ in a }
        )
        for (id, _) in try await list(.snapshots) {
            let snap: Snapshot
            do {
                snap = try Snapshot(decoding: try await loadUnpacked(.snapshots, id), name: id.hex)
            } catch {
                report.errors.append("snapshot \(id.hex): \(error)")
                continue
            }
            report.snapshots += 1
            await checkTree(
                snap.tree,
                path: "",
                snapshot: id,
                index: indexView,
                seen: &seenTrees,
                used: &usedBlobs,
                report: &report
            )
        }
        let unused = indexView.keys.filter { !usedBlobs.contains($0) }
        if !unused.isEmpty { report.hints.append("\(unused.count) blobs are not used by any snapshot (run prune)") }
        logger.info("check finished", metadata: ["errors": "\(report.errors.count)"])
        return report
    }

    static func packSize(_ entries: [PackEntry]) -> Int {
        let header = entries.reduce(0) { $0 + ($1.uncompressedLength == nil ? 37 : 41) } + CryptoKey.overhead
        return entries.reduce(0) { $0 + $1.length } + header + 4
    }

    private func checkTree(
        _ id: BlobID,
        path: String,
        snapshot: BlobID,
        index: [BlobHandle: BlobID],
        seen: inout Set<BlobID>,
        used: inout Set<BlobHandle>,
        report: inout CheckReport
    ) async {
        used.insert(BlobHandle(id: id, type: .tree))
        guard seen.insert(id).inserted else { return }
        guard index[BlobHandle(id: id, type: .tree)] != nil else {
            report.errors.append("tree \(id.hex) (\(path.isEmpty ? "/" : path)) is not in the index")
            return
        }
        let tree: Tree
        do {
            tree = try await loadTree(id)
        } catch {
            report.errors.append("tree \(id.hex) (\(path.isEmpty ? "/" : path)): \(error)")
            report.damagedBlobs.insert(id)
            return
        }
        for node in tree.nodes {
            let childPath = path + "/" + node.name
            if node.nameBytes.isEmpty { report.errors.append("tree \(id.short): node with an empty name") }
            switch node.type {
            case .file:
                guard let content = node.content else {
                    report.errors.append("file \(childPath): content is null")
                    continue
                }
                var damaged = false
                for blob in content {
                    used.insert(BlobHandle(id: blob, type: .data))
                    if index[BlobHandle(id: blob, type: .data)] == nil {
                        report.errors.append("file \(childPath): blob \(blob.hex) not found in the index")
                        damaged = true
                    } else if report.damagedBlobs.contains(blob) {
                        damaged = true
                    }
                }
                if damaged { report.damagedFiles.append("\(snapshot.short):\(childPath)") }
            case .dir:
                guard let sub = node.subtree else {
                    report.errors.append("dir \(childPath): subtree is null")
                    continue
                }
                await checkTree(
                    sub,
                    path: childPath,
                    snapshot: snapshot,
                    index: index,
                    seen: &seen,
                    used: &used,
                    report: &report
                )
            default:
                break
            }
        }
    }

    /// Downloads one pack and verifies its hash, header and every blob.
    func verifyPack(_ pack: BlobID, indexEntries: [PackEntry]) async -> ([String], Set<BlobID>) {
        var errors: [String] = []
        var damaged = Set<BlobID>()
        let bytes: ByteBuffer
        do {
            bytes = try await readBuffer(objectKey(.data, pack))
        } catch {
            return (["pack \(pack.hex): cannot be read: \(error)"], Set(indexEntries.map(\.id)))
        }
        if bytes.withUnsafeReadableBytes({ BlobID.hash($0) }) != pack {
            errors.append("pack \(pack.hex): content does not match its name (damaged)")
        }
        bytes.withUnsafeReadableBytes { raw in
            do {
                let header = try PackReader.entries(of: raw, key: key)
                let headerSet = Set(header.map { "\($0.type)\($0.id.hex)\($0.offset)\($0.length)" })
                for e in indexEntries where !headerSet.contains("\(e.type)\(e.id.hex)\(e.offset)\(e.length)") {
                    errors.append("pack \(pack.short): blob \(e.id.short) of the index is not in the pack header")
                }
            } catch {
                errors.append("pack \(pack.hex): header: \(error)")
            }
            for e in indexEntries {
                do {
                    _ = try decodeBlob(e, in: raw)
                } catch {
                    errors.append("pack \(pack.short): blob \(e.id.hex): \(error)")
                    damaged.insert(e.id)
                }
            }
        }
        return (errors, damaged)
    }
}
