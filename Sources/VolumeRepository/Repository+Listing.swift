#if canImport(Glibc)
import Glibc
#endif
extension Repository {
    /// Every item of a snapshot with its `/`-rooted path, parents before children.
    package func listFiles(
        snapshot ref: String
    ) async throws -> (snapshot: SnapshotEntry, items: [(path: String, node: Node)]) {
        let entry = try await findSnapshot(ref)
        var items: [RestoreItem] = []
        try await collect(tree: entry.snapshot.tree, path: [], depth: 0, into: &items)
        return (entry, items.map { ("/" + String(decoding: $0.path, as: UTF8.self), $0.node) })
    }
}

extension BackupProgress {
    /// Counts files and bytes below `paths` (for an ETA); stops early when `shouldStop` returns true.
    package func scan(paths: [String], excludes: [String], shouldStop: @Sendable () -> Bool = { false }) {
        let matcher = ExcludeMatcher(patterns: excludes)
        var files = 0
        var bytes: UInt64 = 0
        var stack = paths.map {
            Repository.clean($0.hasPrefix("/") ? $0 : Repository.currentDirectory() + "/" + $0).pathBytes
        }
        while let path = stack.popLast() {
            if shouldStop() { return }
            guard case .success(let st) = LocalFS.lstat(path) else { continue }
            switch UInt32(st.st_mode) & 0o170000 {
            case 0o040000:
                if case .success(let names) = LocalFS.readDirectory(path) {
                    for n in names {
                        let child = LocalFS.join(path, n)
                        if !matcher.excludes(child) { stack.append(child) }
                    }
                }
            case 0o100000:
                files += 1
                bytes += UInt64(st.st_size)
                if files % 1000 == 0 { setTotals(files: files, bytes: bytes, finished: false) }
            default:
                files += 1
            }
        }
        setTotals(files: files, bytes: bytes, finished: true)
    }
}
