package import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Repository {
    /// Backs up files and directories into a new snapshot.
    ///
    /// Incremental against the latest snapshot of the same host and paths (or `options.parent`): files with
    /// the same size, mtime and inode are not read again. Unreadable items are reported in
    /// `BackupSummary.errors` and skipped; the snapshot is written anyway.
    package func backup(_ options: BackupOptions, logger: Logger) async throws -> BackupSummary {
        try await withLock(exclusive: false, logger: logger) {
            try await runBackup(options, logger: logger)
        }
    }

    private func runBackup(_ options: BackupOptions, logger: Logger) async throws -> BackupSummary {
        let started = GoTime.now()
        let clock = ContinuousClock()
        let begin = clock.now
        guard !options.paths.isEmpty else {
            throw RepositoryError(code: .invalidArgument, message: "backup needs at least one path")
        }
        let cwd = options.workingDirectory ?? Self.currentDirectory()
        var targets: [TargetCursor] = []
        for raw in options.paths {
            let absolute = Self.clean(raw.hasPrefix("/") ? raw : cwd + "/" + raw)
            guard case .success = LocalFS.lstat(absolute.pathBytes) else {
                throw RepositoryError(
                    code: .invalidArgument,
                    message: "backup path \(raw) does not exist or cannot be read"
                )
            }
            let rel = Self.clean(raw)
            if rel == "." {
                targets += try Self.entryTargets(of: absolute)
                continue
            }
            let treePath = raw.hasPrefix("/") || rel.hasPrefix("..") ? absolute : rel
            let comps = treePath.split(separator: "/").map { Array($0.utf8) }
            targets.append((comps[...], treePath.hasPrefix("/") ? [0x2f] : [], absolute.pathBytes))
        }
        guard !targets.isEmpty else {
            throw RepositoryError(code: .invalidArgument, message: "snapshot is empty")
        }
        let paths = Array(Set(options.paths.map { Self.clean($0.hasPrefix("/") ? $0 : cwd + "/" + $0) })).sorted()
        let host = options.hostname ?? SystemInfo.hostName

        var parentEntry: SnapshotEntry?
        if let ref = options.parent {
            parentEntry = try await findSnapshot(ref)
        } else {
            parentEntry = try await snapshots().last {
                $0.snapshot.hostname == host && $0.snapshot.paths.sorted() == paths
            }
        }
        var parentRoot: Node?
        if let parentEntry {
            var root = Node(nameBytes: [], type: .dir)
            root.subtree = parentEntry.snapshot.tree
            parentRoot = root
        }

        let archiver = Archiver(
            repo: self,
            excludes: options.excludes,
            progress: options.progress,
            force: options.force,
            logger: logger
        )
        let rootID = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await archiver.uploader.run(into: self) }
            do {
                let root = try await archiveLevel(archiver, entries: targets, parent: parentRoot)
                archiver.uploader.close()
                try await group.waitForAll()
                return root
            } catch {
                // The packs already handed over are still uploaded (the next prune removes them if no
                // index names them); then the error goes up.
                archiver.uploader.close()
                try? await group.waitForAll()
                throw error
            }
        }
        try await flush()

        var snapshot = Snapshot(time: started, tree: rootID, paths: paths)
        snapshot.parent = parentEntry?.id
        snapshot.hostname = host
        snapshot.username = SystemInfo.userName
        snapshot.uid = SystemInfo.uid
        snapshot.gid = SystemInfo.gid
        snapshot.tags = options.tags
        snapshot.excludes = options.excludes
        let id = try await saveSnapshot(snapshot)
        var summary = archiver.stats.withLock { $0 }
        summary.snapshotID = id
        summary.parentID = parentEntry?.id
        let elapsed = clock.now - begin
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        logger.info("backup finished", metadata: ["snapshot.id": "\(id.short)", "files": "\(summary.totalFiles)"])
        return summary
    }

    /// restic's `resolveRelativeTargets` for a `.` target: one target per entry of the directory, each at the
    /// root of the snapshot's tree.
    /// - Throws: `.io` naming the directory and the errno when it cannot be read.
    static func entryTargets(of directory: String) throws -> [TargetCursor] {
        let base = directory.pathBytes
        switch LocalFS.readDirectory(base) {
        case .success(let names):
            return names.sorted { $0.lexicographicallyPrecedes($1) }.map { name in
                ([name][...], [], LocalFS.join(base, name))
            }
        case .failure(let error):
            throw RepositoryError(
                code: .io,
                message: "cannot read directory \(directory): \(error) (errno \(error.code))"
            )
        }
    }

    /// One backup target on its way down the virtual tree: remaining tree components, the file-system path
    /// of the current level (`/` or `` at the root) and the target's absolute path.
    typealias TargetCursor = (components: ArraySlice<[UInt8]>, base: [UInt8], absolute: [UInt8])

    /// Builds one level of the virtual tree that leads from the root to the backup targets.
    private func archiveLevel(_ archiver: Archiver, entries: [TargetCursor], parent: Node?) async throws -> BlobID {
        var groups: [[UInt8]: [TargetCursor]] = [:]
        for entry in entries {
            guard let first = entry.components.first else { continue }
            groups[first, default: []].append(entry)
        }
        var parentNodes: [[UInt8]: Node] = [:]
        if let subtree = parent?.subtree, let tree = try? await loadTree(subtree) {
            for n in tree.nodes { parentNodes[n.nameBytes] = n }
        }
        var nodes: [Node] = []
        for (name, children) in groups.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            if let target = children.first(where: { $0.components.count == 1 }) {
                if let node = try await archiver.archive(path: target.absolute, name: name, parent: parentNodes[name]) {
                    nodes.append(node)
                }
                continue
            }
            let fsPath = LocalFS.join(children[0].base, name)
            guard case .success(let st) = LocalFS.lstat(fsPath) else {
                archiver.record(fsPath, "lstat failed")
                continue
            }
            var node = archiver.makeNode(name: name, path: fsPath, st: st)
            node.type = .dir
            let next = children.map {
                (components: $0.components.dropFirst(), base: LocalFS.join($0.base, name), absolute: $0.absolute)
            }
            node.subtree = try await archiveLevel(archiver, entries: next, parent: parentNodes[name])
            nodes.append(node)
        }
        return try await archiver.storeTree(Tree(nodes: nodes), parent: parent)
    }

    static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Lexically cleans a path like Go's `filepath.Clean`.
    static func clean(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var out: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if let last = out.last, last != ".." {
                    out.removeLast()
                    continue
                }
                if absolute { continue }
            }
            out.append(part)
        }
        let joined = out.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}
