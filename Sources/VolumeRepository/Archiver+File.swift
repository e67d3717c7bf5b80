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
        guard let (content, size) = read else { return nil }
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

    /// Reads, chunks and stores a file; nil (and an item error) when it cannot be read.
    ///
    /// The buffer holds the current chunk plus at most one read: typically ~2 MiB, at most 9 MiB.
    private func storeContent(path: [UInt8], sizeHint: Int) async throws -> ([BlobID], UInt64)? {
        var fd = path.withCString { open($0, O_RDONLY | O_NOFOLLOW | Self.noATime | O_CLOEXEC) }
        if fd < 0 && errno == EPERM {
            fd = path.withCString { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        }
        guard fd >= 0 else {
            record(path, "open: \(Errno(errno))")
            return nil
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: min(max(sizeHint + 1, 4096), 2 * Self.readSize))
        var end = 0  // bytes in the buffer, all belonging to the current chunk or after it
        var scanned = 0  // bytes of the buffer the chunker has seen
        var eof = false
        var state = ChunkerState(repo.chunker)
        var content: [BlobID] = []
        var total: UInt64 = 0
        while true {
            if scanned == end && !eof {
                if end == buffer.count {
                    // The file is larger than its size said, or the chunk continues: grow the buffer.
                    let grown = min(buffer.count * 2, Chunker.maxSize + Self.readSize)
                    guard grown > buffer.count else {
                        record(path, "internal error: chunk buffer full")
                        return nil
                    }
                    buffer += [UInt8](repeating: 0, count: grown - buffer.count)
                }
                let room = min(buffer.count - end, Self.readSize)
                let n = buffer.withUnsafeMutableBytes { b in Glibc.read(fd, b.baseAddress.map { $0 + end }, room) }
                if n < 0 {
                    if errno == EINTR { continue }
                    record(path, "read: \(Errno(errno))")
                    return nil
                }
                if n == 0 { eof = true } else { end += n }
                continue
            }
            var cut: Int?
            if scanned < end {
                cut = buffer.withUnsafeBytes { b in state.scan(UnsafeRawBufferPointer(rebasing: b[scanned..<end])).map { scanned + $0 } }
                if cut == nil { scanned = end }
            }
            if cut == nil && eof && end > 0 { cut = end }
            guard let length = cut else {
                if eof { break }
                continue
            }
            let (id, saved, full) = try buffer.withUnsafeBytes { b -> (BlobID, Repository.SaveResult, PackWriter?) in
                let chunk = UnsafeRawBufferPointer(rebasing: b[0..<length])
                let id = BlobID.hash(chunk)
                let (saved, full) = try repo.addBlob(.data, id: id, plaintext: chunk)
                return (id, saved, full)
            }
            if length < end {
                buffer.withUnsafeMutableBytes { b in
                    guard let base = b.baseAddress else { return }
                    memmove(base, base + length, end - length)
                }
            }
            end -= length
            scanned = 0
            state.reset()
            total += UInt64(length)
            content.append(id)
            if saved.added {
                stats.withLock { s in
                    s.dataBlobs += 1
                    s.dataAdded += UInt64(length)
                    s.dataAddedPacked += UInt64(saved.storedBytes)
                }
            }
            progress?.addBytes(UInt64(length))
            if let full { try await repo.upload(full) }
        }
        return (content, total)
    }
}
