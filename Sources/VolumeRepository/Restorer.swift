package import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What to restore and where (`lifeboat repo restore`).
package struct RestoreOptions: Sendable {
    /// Snapshot ID, unique prefix or `latest`.
    package var snapshot: String
    /// Directory to restore into (created when missing).
    package var target: String
    /// Only restore paths matching these patterns (and their parents); empty restores everything.
    package var includes: [String]
    /// Skip paths matching these patterns.
    package var excludes: [String]
    /// Leave holes for all-zero chunks instead of writing zeros.
    package var sparse: Bool
    package var progress: BackupProgress?

    package init(
        snapshot: String = "latest",
        target: String,
        includes: [String] = [],
        excludes: [String] = [],
        sparse: Bool = true,
        progress: BackupProgress? = nil
    ) {
        self.snapshot = snapshot
        self.target = target
        self.includes = includes
        self.excludes = excludes
        self.sparse = sparse
        self.progress = progress
    }
}

/// What a restore did.
package struct RestoreSummary: Sendable {
    package var snapshotID: BlobID
    package var files = 0
    package var directories = 0
    package var otherItems = 0
    package var bytes: UInt64 = 0
    package var errors: [ItemError] = []
    package var seconds: Double = 0
    package var isComplete: Bool { errors.isEmpty }
}

/// One item to restore: its path below the target and its node.
struct RestoreItem: Sendable {
    var path: [UInt8]
    var node: Node
    var depth: Int
}

extension Repository {
    /// Restores a snapshot into `options.target`: contents, modes, ownership (as root), timestamps, symlinks,
    /// empty directories, hard links, extended attributes, sparse files.
    package func restore(_ options: RestoreOptions, logger: Logger) async throws -> RestoreSummary {
        try await withLock(exclusive: false, logger: logger) {
            try await runRestore(options, logger: logger)
        }
    }

    private func runRestore(_ options: RestoreOptions, logger: Logger) async throws -> RestoreSummary {
        let clock = ContinuousClock()
        let begin = clock.now
        let entry = try await findSnapshot(options.snapshot)
        var summary = RestoreSummary(snapshotID: entry.id)
        let target = Self.clean(
            options.target.hasPrefix("/") ? options.target : Self.currentDirectory() + "/" + options.target
        )
        let targetBytes = target.pathBytes
        if case .failure = LocalFS.lstat(targetBytes) {
            guard Self.makeDirectories(targetBytes) else {
                throw RepositoryError(code: .io, message: "cannot create restore target \(target): \(Errno(errno))")
            }
        }
        var items: [RestoreItem] = []
        try await collect(tree: entry.snapshot.tree, path: [], depth: 0, into: &items)
        items = Self.filter(
            items,
            includes: ExcludeMatcher(patterns: options.includes),
            excludes: ExcludeMatcher(patterns: options.excludes)
        )

        let errors = ErrorList()
        let fail: @Sendable (_ path: [UInt8], _ message: String) -> Void = { path, message in
            errors.append(ItemError(path: String(decoding: path, as: UTF8.self), message: message))
        }
        let isRoot = geteuid() == 0

        // 1. Create the structure: directories, links and special files here; files below, in parallel.
        var fileTargets: [(path: [UInt8], node: Node)] = []
        var hardLinks: [String: [UInt8]] = [:]
        var linkPaths: [(first: [UInt8], path: [UInt8])] = []
        for item in items {
            let path = LocalFS.join(targetBytes, item.path)
            switch item.node.type {
            case .dir:
                if case .failure = LocalFS.lstat(path), path.withCString({ mkdir($0, 0o700) }) != 0 {
                    fail(path, "mkdir: \(Errno(errno))")
                }
                summary.directories += 1
            case .file:
                summary.files += 1
                if item.node.links > 1 {
                    let key = "\(item.node.deviceID):\(item.node.inode)"
                    if let first = hardLinks[key] {
                        linkPaths.append((first, path))
                        continue
                    }
                    hardLinks[key] = path
                }
                fileTargets.append((path, item.node))
                summary.bytes += item.node.size
            case .symlink:
                _ = path.withCString { unlink($0) }
                if item.node.linkTarget.withCString({ t in path.withCString { symlink(t, $0) } }) != 0 {
                    fail(path, "symlink: \(Errno(errno))")
                }
                summary.otherItems += 1
            case .fifo:
                _ = path.withCString { unlink($0) }
                if path.withCString({ mkfifo($0, 0o600) }) != 0 { fail(path, "mkfifo: \(Errno(errno))") }
                summary.otherItems += 1
            case .dev, .chardev:
                _ = path.withCString { unlink($0) }
                let kind: mode_t = item.node.type == .dev ? S_IFBLK : S_IFCHR
                if path.withCString({ mknod($0, kind | 0o600, dev_t(item.node.device)) }) != 0 {
                    fail(path, "mknod: \(Errno(errno))")
                }
                summary.otherItems += 1
            case .socket, .irregular:
                summary.otherItems += 1
            }
        }
        // Creating inodes is most of the work for small files: spread it over the cores. An existing file
        // (an earlier, interrupted restore) is replaced.
        let created = Locked([Bool](repeating: false, count: fileTargets.count))
        await Self.forEachInParallel(fileTargets, workers: configuration.parallelism) { i, target in
            _ = target.path.withCString { unlink($0) }
            let fd = target.path.withCString { Glibc.open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) }
            guard fd >= 0 else {
                fail(target.path, "create: \(Errno(errno))")
                return
            }
            if ftruncate(fd, off_t(target.node.size)) != 0 { fail(target.path, "truncate: \(Errno(errno))") }
            close(fd)
            created.withLock { $0[i] = true }
        }
        let ok = created.value
        fileTargets = fileTargets.indices.filter { ok[$0] }.map { fileTargets[$0] }
        for (first, path) in linkPaths {
            _ = path.withCString { unlink($0) }
            if first.withCString({ f in path.withCString { link(f, $0) } }) != 0 { fail(path, "link: \(Errno(errno))") }
        }

        // 2. Write file contents pack by pack.
        try Task.checkCancellation()
        try await writeContents(fileTargets, sparse: options.sparse, progress: options.progress, fail: fail)
        try Task.checkCancellation()

        // 3. Metadata, files first (in parallel), directories deepest first (their mtimes change while filling them).
        let others = items.filter { $0.node.type != .dir }
        await Self.forEachInParallel(others, workers: configuration.parallelism) { _, item in
            Self.applyMetadata(LocalFS.join(targetBytes, item.path), item.node, isRoot: isRoot, fail: fail)
        }
        for item in items.reversed() where item.node.type == .dir {
            Self.applyMetadata(LocalFS.join(targetBytes, item.path), item.node, isRoot: isRoot, fail: fail)
        }
        summary.errors = errors.items
        let elapsed = clock.now - begin
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        logger.info("restore finished", metadata: ["snapshot.id": "\(entry.id.short)", "files": "\(summary.files)"])
        return summary
    }

    /// Loads trees depth-first and lists every node with its relative path (parents before children).
    func collect(tree id: BlobID, path: [UInt8], depth: Int, into items: inout [RestoreItem]) async throws {
        let tree = try await loadTree(id)
        for node in tree.nodes {
            guard !node.nameBytes.isEmpty, !node.nameBytes.contains(0x2f), node.nameBytes != [0x2e],
                node.nameBytes != [0x2e, 0x2e]
            else {
                continue
            }
            let childPath = path.isEmpty ? node.nameBytes : path + [0x2f] + node.nameBytes
            items.append(RestoreItem(path: childPath, node: node, depth: depth))
            if node.type == .dir, let sub = node.subtree {
                try await collect(tree: sub, path: childPath, depth: depth + 1, into: &items)
            }
        }
    }

    /// Applies include/exclude patterns (matched against `/`-rooted snapshot paths); keeps parents of matches.
    static func filter(_ items: [RestoreItem], includes: ExcludeMatcher, excludes: ExcludeMatcher) -> [RestoreItem] {
        if includes.isEmpty && excludes.isEmpty { return items }
        var keep = [Bool](repeating: false, count: items.count)
        var excludedPrefix: [UInt8]?
        var includedPrefix: [UInt8]?
        for (i, item) in items.enumerated() {
            let rooted = [0x2f] + item.path
            if let p = excludedPrefix, item.path.starts(with: p + [0x2f]) { continue }
            if excludes.excludes(rooted) {
                excludedPrefix = item.path
                continue
            }
            if let p = includedPrefix, item.path.starts(with: p + [0x2f]) {
                keep[i] = true
                continue
            }
            if includes.isEmpty || includes.excludes(rooted) {
                keep[i] = true
                if item.node.type == .dir { includedPrefix = item.path }
            }
        }
        // Keep the parent directories of kept items.
        var needed = Set<[UInt8]>()
        for (i, item) in items.enumerated() where keep[i] {
            var p = item.path
            while let slash = p.lastIndex(of: 0x2f) {
                p = Array(p[..<slash])
                if !needed.insert(p).inserted { break }
            }
        }
        return items.enumerated().filter { keep[$0.offset] || needed.contains($0.element.path) }.map(\.element)
    }

    /// Runs `body` over `items` on `workers` tasks, each taking a contiguous slice (neighbouring items
    /// usually share a directory, so slices keep the workers out of each other's directories).
    static func forEachInParallel<T: Sendable>(
        _ items: [T],
        workers: Int,
        _ body: @escaping @Sendable (_ index: Int, _ item: T) -> Void
    ) async {
        let n = max(1, min(workers, items.count))
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<n {
                let range = (items.count * w / n)..<(items.count * (w + 1) / n)
                group.addTask {
                    for i in range { body(i, items[i]) }
                }
            }
        }
    }

    static func makeDirectories(_ path: [UInt8]) -> Bool {
        var current: [UInt8] = []
        for part in path.split(separator: 0x2f) {
            current += [0x2f] + part
            if case .success = LocalFS.lstat(current) { continue }
            if current.withCString({ mkdir($0, 0o755) }) != 0 && errno != EEXIST { return false }
        }
        return true
    }

    /// Sets ownership (as root), mode, extended attributes and timestamps.
    static func applyMetadata(
        _ path: [UInt8],
        _ node: Node,
        isRoot: Bool,
        fail: (_ path: [UInt8], _ message: String) -> Void
    ) {
        if isRoot, path.withCString({ lchown($0, uid_t(node.uid), gid_t(node.gid)) }) != 0 {
            fail(path, "lchown: \(Errno(errno))")
        }
        if node.type != .symlink, path.withCString({ chmod($0, mode_t(node.posixPermissions)) }) != 0 {
            fail(path, "chmod: \(Errno(errno))")
        }
        for attr in node.extendedAttributes {
            if let e = LocalFS.setExtendedAttribute(path, attr) { fail(path, "setxattr \(attr.name): \(e)") }
        }
        var times = [
            timespec(tv_sec: time_t(node.atime.seconds), tv_nsec: Int(node.atime.nanoseconds)),
            timespec(tv_sec: time_t(node.mtime.seconds), tv_nsec: Int(node.mtime.nanoseconds)),
        ]
        if path.withCString({ utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }) != 0 {
            fail(path, "utimensat: \(Errno(errno))")
        }
    }
}

/// A thread-safe list of item errors.
final class ErrorList: Sendable {
    private let list = Mutex<[ItemError]>([])
    init() {}
    func append(_ e: ItemError) { list.withLock { $0.append(e) } }
    var items: [ItemError] { list.withLock { $0 } }
}
