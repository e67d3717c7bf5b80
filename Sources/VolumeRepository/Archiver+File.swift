import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Archiver {
    /// Linux `O_NOATIME` (not exported by the Glibc module): reading must not change atimes.
    static let noATime: Int32 = 0o1000000

    /// Stores a regular file's content (or reuses the parent's when size, mtime and inode match).
    func archiveFile(path: [UInt8], node: Node, parent: Node?) async throws -> Node? {
        var node = node
        if !force, let p = parent, p.type == .file, p.mtime.sameInstant(node.mtime), p.inode == node.inode,
            p.size == node.size, let content = p.content,
            content.allSatisfy({ repo.index.has(BlobHandle(id: $0, type: .data)) })
        {
            node.content = content
            stats.withLock { s in
                s.filesUnmodified += 1
                s.totalFiles += 1
                s.totalBytes += node.size
            }
            progress?.addFile(bytes: node.size)
            return node
        }
        let read = try await limiter.withSlot { try await storeContent(path: path, sizeHint: Int(node.size)) }
        guard let (content, size, opened) = read else { return nil }
        // As restic: the metadata is the open file's (it may have been replaced or written to since the
        // directory was read), the size what was read.
        node.mtime = .local(seconds: Int64(opened.st_mtim.tv_sec), nanoseconds: Int32(opened.st_mtim.tv_nsec))
        node.atime = node.mtime
        node.ctime = .local(seconds: Int64(opened.st_ctim.tv_sec), nanoseconds: Int32(opened.st_ctim.tv_nsec))
        node.inode = UInt64(opened.st_ino)
        node.mode = GoFileMode.from(posix: UInt32(opened.st_mode))
        node.content = content
        node.size = size
        stats.withLock { s in
            if parent == nil { s.filesNew += 1 } else { s.filesChanged += 1 }
            s.totalFiles += 1
            s.totalBytes += size
        }
        progress?.addFile(bytes: 0)
        return node
    }

    /// Bytes read from a file per read(2) call.
    static let readSize = 1024 * 1024
    /// Chunks of one file being hashed, compressed and encrypted while the next one is chunked.
    static let chunksInFlight = 1
    /// Read buffers one file uses at most: the one being filled, those of chunks in flight, and one spare.
    static let buffersPerFile = chunksInFlight + 2

    /// What storing one chunk gave.
    struct ChunkOutcome: Sendable {
        var index: Int
        var id: BlobID
        /// The chunk's buffer, handed back for reuse.
        var buffer: [UInt8]
    }

    /// Reads, chunks and stores a file; nil (and an item error) when it cannot be read, or when what was
    /// opened is no longer a regular file (restic: "changed type, refusing to archive"). Returns the chunk
    /// IDs, the bytes read and the `fstat` of the opened file.
    ///
    /// This task reads and finds chunk boundaries; each complete chunk (but the last) is hashed,
    /// compressed, encrypted and packed by a child task, at most `chunksInFlight` at once, so a single
    /// large file keeps more than one core busy. A buffer holds one chunk plus at most one read
    /// (typically ~2 MiB, at most 9 MiB); a file uses at most `chunksInFlight + 1` of them.
    private func storeContent(path: [UInt8], sizeHint: Int) async throws -> ([BlobID], UInt64, stat)? {
        // O_NONBLOCK: a FIFO swapped in since the directory was read must not block the open.
        var fd = path.withCString { open($0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | Self.noATime | O_CLOEXEC) }
        if fd < 0 && errno == EPERM {
            fd = path.withCString { open($0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        }
        guard fd >= 0 else {
            record(path, "open: \(Errno(errno))")
            return nil
        }
        defer { close(fd) }
        var opened = stat()
        guard fstat(fd, &opened) == 0 else {
            record(path, "fstat: \(Errno(errno))")
            return nil
        }
        guard (opened.st_mode & S_IFMT) == S_IFREG else {
            record(path, "file changed type, refusing to archive")
            return nil
        }
        let initialSize = min(max(sizeHint + 1, 4096), 2 * Self.readSize)
        return try await withThrowingTaskGroup(of: ChunkOutcome.self) { group in
            // Buffers come from and go back to `readBuffers`: a multi-MiB buffer allocated per file would be
            // mapped and faulted in page by page each time. A buffer's `count` is its usable size.
            var buffer = readBuffers.take(count: initialSize)
            var spare: [[UInt8]] = []
            defer {
                readBuffers.give(buffer)
                for b in spare { readBuffers.give(b) }
            }
            var end = 0  // bytes in the buffer, all belonging to the current chunk or after it
            var scanned = 0  // bytes of the buffer the chunker has seen
            var eof = false
            var scanner = ChunkScanner(repo.chunker)
            var content: [BlobID?] = []
            var inFlight = 0
            var total: UInt64 = 0
            var bytesRead = 0
            func collect(_ outcome: ChunkOutcome) {
                content[outcome.index] = outcome.id
                spare.append(outcome.buffer)
                inFlight -= 1
            }
            while true {
                if scanned == end && !eof {
                    if end == buffer.count {
                        // The file is larger than its size said, or the chunk continues: grow the buffer.
                        let grown = min(buffer.count * 2, Chunker.maxSize + Self.readSize)
                        guard grown > buffer.count else {
                            record(path, "internal error: chunk buffer full")
                            return nil
                        }
                        var larger = readBuffers.take(count: grown)
                        Self.copy(buffer, 0..<end, into: &larger)
                        swap(&buffer, &larger)
                        readBuffers.give(consume larger)
                    }
                    let room = min(buffer.count - end, Self.readSize)
                    let n = buffer.withUnsafeMutableBytes { b in Glibc.read(fd, b.baseAddress.map { $0 + end }, room) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        record(path, "read: \(Errno(errno))")
                        return nil
                    }
                    if n == 0 {
                        eof = true
                    } else {
                        end += n
                        bytesRead += n
                        afterRead?(path, bytesRead)
                    }
                    continue
                }
                var cut: Int?
                if scanned < end {
                    cut = buffer.withUnsafeBytes { b in
                        scanner.scan(UnsafeRawBufferPointer(rebasing: b[0..<end]), from: scanned)
                    }
                    if cut == nil { scanned = end }
                }
                if cut == nil && eof && end > 0 { cut = end }
                guard let length = cut else {
                    if eof { break }
                    continue
                }
                let index = content.count
                content.append(nil)
                total += UInt64(length)
                if eof && length == end {
                    // The last chunk: store it here, nothing else to overlap with.
                    content[index] = try await storeChunk(buffer, length: length)
                    end = 0
                    break
                }
                // Hand the chunk to a child task; the rest of the buffer moves to a fresh (or reused) one.
                if inFlight >= Self.chunksInFlight, let outcome = try await group.next() { collect(outcome) }
                let needed = end - length + Self.readSize
                var next = spare.popLast() ?? readBuffers.take(count: max(initialSize, needed))
                if next.count < needed {
                    readBuffers.give(consume next)
                    next = readBuffers.take(count: needed)
                }
                let chunk = buffer
                Self.copy(chunk, length..<end, into: &next)
                buffer = next
                end -= length
                scanned = 0
                scanner.reset()
                inFlight += 1
                group.addTask {
                    let id = try await self.storeChunk(chunk, length: length)
                    return ChunkOutcome(index: index, id: id, buffer: chunk)
                }
            }
            while let outcome = try await group.next() { collect(outcome) }
            let ids = content.compactMap { $0 }
            guard ids.count == content.count else {
                record(path, "internal error: chunk missing")
                return nil
            }
            return (ids, total, opened)
        }
    }

    /// Copies `source[range]` to the start of `target` (which has room for it).
    private static func copy(_ source: [UInt8], _ range: Range<Int>, into target: inout [UInt8]) {
        target.withUnsafeMutableBytes { dst in
            source.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[range]))
            }
        }
    }

    /// Hashes, compresses, encrypts and packs `buffer[0..<length]`; hands the pack it filled to the uploader.
    private func storeChunk(_ buffer: [UInt8], length: Int) async throws -> BlobID {
        let (id, saved, full) = try buffer.withUnsafeBytes { b -> (BlobID, Repository.SaveResult, SealedPack?) in
            let chunk = UnsafeRawBufferPointer(rebasing: b[0..<length])
            let id = BlobID.hash(chunk)
            let (saved, full) = try repo.addBlob(.data, id: id, plaintext: chunk)
            return (id, saved, full)
        }
        if saved.added {
            stats.withLock { s in
                s.dataBlobs += 1
                s.dataAdded += UInt64(length)
                s.dataAddedPacked += UInt64(saved.storedBytes)
            }
        }
        progress?.addBytes(UInt64(length))
        if let pack = consume full { try await uploader.send(consume pack) }
        return id
    }
}
