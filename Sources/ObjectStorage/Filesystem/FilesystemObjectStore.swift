public import NIOCore
import Synchronization

import struct Foundation.Date
import struct Foundation.UUID

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An object store in a local folder: the `filesystem` provider.
///
/// Key `a/b/c` is the file `<root>/a/b/c`. Writes go to a temporary file in the same folder, are
/// fsynced, renamed into place and the folder is fsynced, so readers see the old or the new object
/// and a crash never leaves a partial one. Keys are validated (`ObjectKey`) before they touch the
/// file system, so no key can escape the root. Blocking I/O runs on NIO's thread pool; reads stream
/// in chunks of `Configuration.readChunkSize`.
///
/// ```swift
/// let store = try FilesystemObjectStore(root: "/var/lib/lifeboat/bucket")
/// try await store.putData("backups/b1/velero-backup.json", bytes: json)
/// ```
public struct FilesystemObjectStore: ObjectStore {
    /// Settings of a filesystem store.
    public struct Configuration: Sendable {
        /// Bytes per chunk when streaming a file out.
        public var readChunkSize: Int
        /// Whether to fsync files and folders (turn off only for throw-away test data).
        public var sync: Bool
        /// Whether to create the root folder when it does not exist.
        public var createRoot: Bool

        public init(readChunkSize: Int = 256 * 1024, sync: Bool = true, createRoot: Bool = true) {
            self.readChunkSize = max(4096, readChunkSize)
            self.sync = sync
            self.createRoot = createRoot
        }
    }

    /// Objects declared at least this large are written past the page cache (`DirectFileWriter`).
    static let directWriteThreshold = 1024 * 1024

    /// Name prefix of in-flight temporary files; never listed, and rejected as a key segment.
    static let temporaryPrefix = ".lifeboat-tmp-"

    /// The absolute root folder (no trailing `/`).
    public let root: String
    public let configuration: Configuration

    /// Opens the store at `root`.
    /// - Throws: `.invalidConfiguration` when `root` is not absolute or is not a folder.
    public init(root: String, configuration: Configuration = .init()) throws {
        guard root.hasPrefix("/"), !root.utf8.contains(0) else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "filesystem bucket \(ObjectKey.quoted(root)) is not an absolute path"
            )
        }
        var trimmed = root
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
        self.configuration = configuration
        if let st = try POSIXFile.status(trimmed) {
            guard st.isDirectory else {
                throw ObjectStoreError(
                    code: .invalidConfiguration,
                    message: "filesystem bucket \(trimmed) exists but is not a folder"
                )
            }
        } else if configuration.createRoot {
            try Self.makeDirectories(trimmed, below: "/")
        } else {
            throw ObjectStoreError(
                code: .invalidConfiguration,
                message: "filesystem bucket \(trimmed) does not exist"
            )
        }
    }

    /// A `file://` URL of the object's file (a folder has no signatures; whoever can read the file can use it).
    public func downloadURL(_ key: String, validFor: Duration) async throws -> String {
        let path = try path(of: key)
        guard try await head(key) != nil else {
            throw ObjectStoreError(code: .notFound, message: "object \(ObjectKey.quoted(key)) not found under \(root)")
        }
        return "file://" + SigV4Signer.uriEncode(path, keepSlash: true)
    }

    // MARK: - Paths

    /// The file path of `key`, after validation.
    func path(of key: String) throws -> String {
        try ObjectKey.validate(key)
        for segment in key.split(separator: "/") where segment.hasPrefix(Self.temporaryPrefix) {
            throw ObjectStoreError(
                code: .invalidKey,
                message:
                    "invalid object key \(ObjectKey.quoted(key)): segments starting with \(Self.temporaryPrefix) are reserved"
            )
        }
        return root == "/" ? "/" + key : root + "/" + key
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Creates `path` and its missing parents (those below `base`).
    static func makeDirectories(_ path: String, below base: String) throws {
        if let st = try POSIXFile.status(path) {
            if st.isDirectory { return }
            throw ObjectStoreError(code: .io, message: "cannot create folder \(path): a file is in the way")
        }
        if path != base && path.count > base.count { try makeDirectories(parent(of: path), below: base) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw POSIXFile.errnoError("cannot create folder", path)
        }
    }

    // MARK: - ObjectStore

    public func put(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    )
        async throws
    {
        let target = try path(of: key)
        let temp = try await writeTemporary(for: target, key: key, body: body, length: length)
        let sync = configuration.sync
        try await POSIXFile.run {
            if rename(temp, target) != 0 {
                let error = POSIXFile.errnoError("cannot store object \(ObjectKey.quoted(key)) at", target)
                unlink(temp)
                throw error
            }
            if sync { try POSIXFile.syncDirectory(Self.parent(of: target)) }
        }
    }

    public func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        let target = try path(of: key)
        if try await POSIXFile.run({ try POSIXFile.status(target) }) != nil { return false }
        let temp = try await writeTemporary(for: target, key: key, body: body, length: length)
        let sync = configuration.sync
        return try await POSIXFile.run {
            defer { unlink(temp) }
            // link(2) fails with EEXIST instead of replacing: an atomic create-if-absent.
            if link(temp, target) != 0 {
                if errno == EEXIST { return false }
                throw POSIXFile.errnoError("cannot store object \(ObjectKey.quoted(key)) at", target)
            }
            if sync { try POSIXFile.syncDirectory(Self.parent(of: target)) }
            return true
        }
    }

    /// Writes `body` to a new temporary file next to `target`, fsynced; returns its path.
    private func writeTemporary(
        for target: String,
        key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> String {
        let folder = Self.parent(of: target)
        let temp = folder + "/" + Self.temporaryPrefix + UUID().uuidString
        let root = self.root
        let fd: Int32 = try await POSIXFile.run {
            // A concurrent delete may prune the folder between mkdir and open: retry a few times.
            for _ in 0..<5 {
                try Self.makeDirectories(folder, below: root)
                let fd = POSIXFile.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                if fd >= 0 { return fd }
                if errno != ENOENT { break }
            }
            throw POSIXFile.errnoError("cannot create temporary file for \(ObjectKey.quoted(key)) at", temp)
        }
        let sync = configuration.sync
        do {
            // Large objects bypass the page cache (see `DirectFileWriter`); only with `sync`, since that is
            // where the cost is, and throw-away test data should not depend on the filesystem's support.
            let direct =
                sync && (length ?? 0) >= Self.directWriteThreshold
                ? try await POSIXFile.run { DirectFileWriter(fd: fd, path: temp) } : nil
            var written = 0
            for try await chunk in body {
                guard chunk.readableBytes > 0 else { continue }
                try await POSIXFile.run {
                    if let direct { try direct.write(chunk) } else { try POSIXFile.writeAll(fd, chunk, path: temp) }
                }
                written += chunk.readableBytes
            }
            if let direct { try await POSIXFile.run { try direct.finish() } }
            if let length, length != written {
                throw ObjectStoreError(
                    code: .corrupt,
                    message: "object \(ObjectKey.quoted(key)): body has \(written) bytes, declared length \(length)"
                )
            }
            try await POSIXFile.run {
                if sync && fsync(fd) != 0 { throw POSIXFile.errnoError("cannot sync", temp) }
                if close(fd) != 0 { throw POSIXFile.errnoError("cannot close", temp) }
            }
            return temp
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
    }

    public func get(_ key: String) async throws -> ObjectBody {
        try await get(key, range: 0..<Int.max)
    }

    public func get(_ key: String, range: Range<Int>) async throws -> ObjectBody {
        let file = try path(of: key)
        let chunkSize = configuration.readChunkSize
        let (fd, size): (Int32, Int) = try await POSIXFile.run {
            let fd = POSIXFile.open(file, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT || errno == ENOTDIR {
                    throw ObjectStoreError(
                        code: .notFound,
                        message: "object \(ObjectKey.quoted(key)) not found (no file \(file))"
                    )
                }
                throw POSIXFile.errnoError("cannot open object \(ObjectKey.quoted(key)) at", file)
            }
            guard let st = try? POSIXFile.status(fd: fd, path: file), st.isRegular else {
                close(fd)
                throw ObjectStoreError(
                    code: .notFound,
                    message: "object \(ObjectKey.quoted(key)) not found (\(file) is not a file)"
                )
            }
            return (fd, st.size)
        }
        let lower = min(max(0, range.lowerBound), size)
        let upper = min(max(lower, range.upperBound), size)
        let reader = FileChunkReader(fd: fd, path: file, chunkSize: chunkSize, offset: lower, end: upper)
        return ObjectBody(length: upper - lower) { try await reader.next() }
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        let file = try path(of: key)
        guard let st = try await POSIXFile.run({ try POSIXFile.status(file) }), st.isRegular else {
            return nil
        }
        return ObjectInfo(key: key, size: st.size, lastModified: Date(timeIntervalSince1970: st.modified))
    }

    public func delete(_ key: String) async throws {
        let file = try path(of: key)
        let root = self.root
        try await POSIXFile.run {
            if unlink(file) != 0 {
                if errno == ENOENT || errno == ENOTDIR || errno == EISDIR { return }
                throw POSIXFile.errnoError("cannot delete object \(ObjectKey.quoted(key)) at", file)
            }
            // Prune folders left empty, as S3 has no empty "folders".
            var folder = Self.parent(of: file)
            while folder.count > root.count && rmdir(folder) == 0 {
                folder = Self.parent(of: folder)
            }
        }
    }

    public func list(prefix: String, delimiter: String?) -> ObjectListing {
        let lister = FilesystemLister(root: root, prefix: prefix, delimiter: delimiter)
        return ObjectListing { token in
            try ObjectKey.validatePrefix(prefix)
            let entries = try await POSIXFile.run { try lister.entries() }
            return ListingPager.page(entries, after: token, size: 1000)
        }
    }
}

/// Reads a file chunk by chunk; closes it at the end or when released.
private final class FileChunkReader: Sendable {
    private struct State {
        var fd: Int32?
        var offset: Int
    }
    private let state: Mutex<State>
    private let path: String
    private let chunkSize: Int
    /// Offset just past the last byte to read.
    private let end: Int

    init(fd: Int32, path: String, chunkSize: Int, offset: Int, end: Int) {
        self.state = Mutex(State(fd: fd, offset: offset))
        self.path = path
        self.chunkSize = chunkSize
        self.end = end
    }

    deinit {
        state.withLock { if let fd = $0.fd { close(fd) } }
    }

    func next() async throws -> ByteBuffer? {
        try await POSIXFile.run { [self] in
            try state.withLock { state -> ByteBuffer? in
                guard let fd = state.fd else { return nil }
                let offset = state.offset
                let want = min(chunkSize, end - offset)
                if want <= 0 {
                    close(fd)
                    state.fd = nil
                    return nil
                }
                var buffer = ByteBufferAllocator().buffer(capacity: want)
                let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw in
                    while true {
                        let n = pread(fd, raw.baseAddress, want, off_t(offset))
                        if n >= 0 { return n }
                        if errno != EINTR { throw POSIXFile.errnoError("cannot read", self.path) }
                    }
                }
                if count == 0 {
                    close(fd)
                    state.fd = nil
                    return nil
                }
                state.offset += count
                return buffer
            }
        }
    }
}
