import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks directories and stores them as trees and data blobs (the backup pipeline).
///
/// Files are read, chunked, hashed, compressed, encrypted and packed by up to `parallelism` tasks at once;
/// directory entries fan out in task groups. Items that cannot be read are recorded and skipped.
final class Archiver: Sendable {
    let repo: Repository
    let limiter: AsyncLimiter
    /// Uploads the data packs the file work fills.
    let uploader = PackUploader()
    let excludes: ExcludeMatcher
    let names = OwnerNames()
    let stats = Mutex(BackupSummary(snapshotID: BlobID.hash([])))
    let progress: BackupProgress?
    let force: Bool
    let logger: Logger
    /// File read buffers, reused from file to file (see `storeContent`).
    let readBuffers: BufferPool
    /// Called after each read(2) of a file's content with the path and the bytes read from it so far: a test
    /// seam to change a file at a known point of its read (nil in the product).
    let afterRead: (@Sendable (_ path: [UInt8], _ bytesRead: Int) -> Void)?

    init(
        repo: Repository,
        excludes: [String],
        progress: BackupProgress?,
        force: Bool,
        logger: Logger,
        afterRead: (@Sendable (_ path: [UInt8], _ bytesRead: Int) -> Void)? = nil
    ) {
        self.afterRead = afterRead
        self.repo = repo
        self.limiter = AsyncLimiter(limit: repo.configuration.parallelism)
        self.readBuffers = BufferPool(
            keep: repo.configuration.parallelism * Self.buffersPerFile,
            maxCapacity: Chunker.maxSize + Self.readSize
        )
        self.excludes = ExcludeMatcher(patterns: excludes)
        self.progress = progress
        self.force = force
        self.logger = logger
    }

    func record(_ path: [UInt8], _ message: String) {
        let err = ItemError(path: String(decoding: path, as: UTF8.self), message: message)
        logger.info("skipping item", metadata: ["path": "\(err.path)", "error": "\(message)"])
        stats.withLock { $0.errors.append(err) }
        progress?.addError()
    }

    // MARK: nodes from stat

    func makeNode(name: [UInt8], path: [UInt8], st: stat) -> Node {
        let fmt = UInt32(st.st_mode) & 0o170000
        let kind: Node.Kind
        switch fmt {
        case 0o100000: kind = .file
        case 0o040000: kind = .dir
        case 0o120000: kind = .symlink
        case 0o060000: kind = .dev
        case 0o020000: kind = .chardev
        case 0o010000: kind = .fifo
        case 0o140000: kind = .socket
        default: kind = .irregular
        }
        var node = Node(nameBytes: name, type: kind)
        node.mode = GoFileMode.from(posix: UInt32(st.st_mode))
        node.mtime = .local(seconds: Int64(st.st_mtim.tv_sec), nanoseconds: Int32(st.st_mtim.tv_nsec))
        // restic 0.14 (the reference binary) records the mtime as atime; doing the same keeps tree blobs
        // byte-identical, so trees deduplicate with restic's for unchanged directories.
        node.atime = node.mtime
        node.ctime = .local(seconds: Int64(st.st_ctim.tv_sec), nanoseconds: Int32(st.st_ctim.tv_nsec))
        node.uid = UInt32(st.st_uid)
        node.gid = UInt32(st.st_gid)
        node.user = names.name(ofUser: st.st_uid) ?? ""
        node.group = names.name(ofGroup: st.st_gid) ?? ""
        node.inode = UInt64(st.st_ino)
        node.deviceID = UInt64(st.st_dev)
        switch kind {
        case .file:
            node.size = UInt64(st.st_size)
            node.links = UInt64(st.st_nlink)
            node.content = []
        case .symlink:
            node.links = UInt64(st.st_nlink)
            if case .success(let target) = LocalFS.readLink(path) { node.linkTarget = target }
        case .dev, .chardev:
            node.links = UInt64(st.st_nlink)
            node.device = UInt64(st.st_rdev)
        default:
            break
        }
        node.extendedAttributes = LocalFS.extendedAttributes(path)
        return node
    }

    // MARK: walking

    /// Archives one file-system item; nil when it was skipped.
    /// - Throws: `CancellationError` when the backup was cancelled.
    func archive(path: [UInt8], name: [UInt8], parent: Node?) async throws -> Node? {
        try Task.checkCancellation()
        let st: stat
        switch LocalFS.lstat(path) {
        case .success(let s): st = s
        case .failure(let e):
            record(path, "lstat: \(e)")
            return nil
        }
        var node = makeNode(name: name, path: path, st: st)
        switch node.type {
        case .dir:
            guard let subtree = try await archiveDirectory(path: path, parent: parent) else { return nil }
            node.subtree = subtree
            return node
        case .file:
            return try await archiveFile(path: path, node: node, parent: parent)
        case .irregular:
            record(path, "unsupported file type")
            return nil
        default:
            progress?.addFile(bytes: 0)
            return node
        }
    }

    /// Archives a directory's entries and stores its tree; returns the tree ID, nil when unreadable.
    func archiveDirectory(path: [UInt8], parent: Node?) async throws -> BlobID? {
        let names: [[UInt8]]
        switch LocalFS.readDirectory(path) {
        case .success(let n): names = n.sorted { $0.lexicographicallyPrecedes($1) }
        case .failure(let e):
            record(path, "open directory: \(e)")
            return nil
        }
        var parentNodes: [[UInt8]: Node] = [:]
        var parentTree: Tree?
        if let subtree = parent?.subtree, parent?.type == .dir, let tree = try? await repo.loadTree(subtree) {
            for n in tree.nodes { parentNodes[n.nameBytes] = n }
            parentTree = tree
        }
        let children = names.filter { !excludes.excludes(LocalFS.join(path, $0)) }
        var nodes = [Node?](repeating: nil, count: children.count)
        // A sliding window of entries per directory bounds the number of live tasks (and their memory);
        // the file limiter bounds the expensive part.
        let window = max(2, repo.configuration.parallelism * 2)
        try await withThrowingTaskGroup(of: (Int, Node?).self) { group in
            for (i, name) in children.enumerated() {
                if i >= window, let (j, node) = try await group.next() { nodes[j] = node }
                let childParent = parentNodes[name]
                group.addTask {
                    (i, try await self.archive(path: LocalFS.join(path, name), name: name, parent: childParent))
                }
            }
            for try await (i, node) in group { nodes[i] = node }
        }
        let tree = Tree(nodes: nodes.compactMap { $0 })
        if let parentTree, let subtree = parent?.subtree, tree == parentTree {
            // Nothing in the directory changed: the parent's tree (just loaded, so in the index) is this one.
            stats.withLock { $0.dirsUnmodified += 1 }
            return subtree
        }
        return try await storeTree(tree, parent: parent)
    }

    /// Stores a tree blob and counts the directory as new, changed or unmodified.
    func storeTree(_ tree: Tree, parent: Node?) async throws -> BlobID {
        let (id, result) = try await repo.saveTree(tree)
        stats.withLock { s in
            if result.added {
                s.treeBlobs += 1
                s.dataAddedPacked += UInt64(result.storedBytes)
            }
            if parent?.subtree == nil {
                s.dirsNew += 1
            } else if parent?.subtree == id {
                s.dirsUnmodified += 1
            } else {
                s.dirsChanged += 1
            }
        }
        return id
    }
}
