import NIOCore
import ObjectStorage
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Repository {
    /// Downloads each needed pack once and writes its blobs to every file offset that uses them.
    func writeContents(
        _ files: [(path: [UInt8], node: Node)],
        sparse: Bool,
        progress: BackupProgress?,
        fail: @escaping @Sendable (_ path: [UInt8], _ message: String) -> Void
    ) async throws {
        // blob → [(file index, offset)]
        var uses: [BlobID: [(Int, Int)]] = [:]
        for (i, file) in files.enumerated() {
            var offset = 0
            for id in file.node.content ?? [] {
                guard let loc = index.lookup(BlobHandle(id: id, type: .data)) else {
                    fail(file.path, "data blob \(id.short) is missing from the index")
                    break
                }
                uses[id, default: []].append((i, offset))
                offset += loc.entry.plaintextLength
            }
        }
        var byPack: [BlobID: [PackEntry]] = [:]
        for id in uses.keys {
            if let loc = index.lookup(BlobHandle(id: id, type: .data)) {
                byPack[loc.pack, default: []].append(loc.entry)
            }
        }
        let paths = files.map(\.path)
        // Pack reads wait on I/O and writes on the file system: more workers than cores keep both busy.
        // Reads are at most `maxReadSize`, which bounds the memory per worker.
        let limiter = AsyncLimiter(limit: configuration.parallelism * 2)
        let usesByBlob = uses
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (pack, entries) in byPack {
                group.addTask {
                    await limiter.withSlot {
                        // Only the byte ranges that hold needed blobs are read (neighbours merged).
                        for part in Self.coalesce(entries, maxGap: Self.maxReadGap, maxSize: Self.maxReadSize) {
                            // A cancelled restore stops reading; the caller throws once the workers are done.
                            if Task.isCancelled { break }
                            let bytes: ByteBuffer
                            do {
                                bytes = try await self.store.getData(self.objectKey(.data, pack), range: part.range)
                                guard bytes.readableBytes == part.range.count else {
                                    throw RepositoryError(
                                        code: .corrupt,
                                        message: "short read: \(bytes.readableBytes) of \(part.range.count) bytes"
                                    )
                                }
                            } catch {
                                for e in part.entries {
                                    for (f, _) in usesByBlob[e.id] ?? [] {
                                        fail(paths[f], "data blob \(e.id.hex) in pack \(pack.hex): \(error)")
                                    }
                                }
                                continue
                            }
                            for var e in part.entries {
                                let id = e.id
                                e.offset -= part.range.lowerBound
                                let data: [UInt8]
                                do {
                                    data = try bytes.withUnsafeReadableBytes {
                                        try self.decodeBlob(e, in: $0, verify: false)
                                    }
                                } catch {
                                    // The full IDs: what `restic find --blob` / `--pack` take.
                                    let message = "data blob \(id.hex) in pack \(pack.hex): \(error)"
                                    for (f, _) in usesByBlob[id] ?? [] { fail(paths[f], message) }
                                    continue
                                }
                                Self.write(
                                    data,
                                    uses: usesByBlob[id] ?? [],
                                    paths: paths,
                                    sparse: sparse,
                                    progress: progress,
                                    fail: fail
                                )
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Largest gap between two needed blobs of a pack that is read through rather than split into two reads.
    static let maxReadGap = 1024 * 1024

    /// Largest single read from a pack (a larger blob is read alone).
    static let maxReadSize = 4 * 1024 * 1024

    /// Groups blobs of one pack into byte ranges to read: sorted by offset, neighbours closer than `maxGap`
    /// share one range as long as it stays within `maxSize` bytes.
    static func coalesce(
        _ entries: [PackEntry],
        maxGap: Int,
        maxSize: Int = .max
    ) -> [(range: Range<Int>, entries: [PackEntry])] {
        var result: [(range: Range<Int>, entries: [PackEntry])] = []
        for e in entries.sorted(by: { $0.offset < $1.offset }) {
            let range = e.offset..<(e.offset + e.length)
            if let last = result.last, range.lowerBound - last.range.upperBound <= maxGap,
                range.upperBound - last.range.lowerBound <= maxSize
            {
                result[result.count - 1].range = last.range.lowerBound..<max(last.range.upperBound, range.upperBound)
                result[result.count - 1].entries.append(e)
            } else {
                result.append((range, [e]))
            }
        }
        return result
    }

    /// Writes one decoded blob to every file offset that uses it (holes for zero blobs when `sparse`).
    static func write(
        _ data: [UInt8],
        uses: [(Int, Int)],
        paths: [[UInt8]],
        sparse: Bool,
        progress: BackupProgress?,
        fail: @Sendable (_ path: [UInt8], _ message: String) -> Void
    ) {
        let zero = sparse && data.allSatisfy { $0 == 0 }
        for (f, offset) in uses {
            progress?.addBytes(UInt64(data.count))
            if zero { continue }
            let fd = paths[f].withCString { Glibc.open($0, O_WRONLY | O_CLOEXEC) }
            guard fd >= 0 else {
                fail(paths[f], "open: \(Errno(errno))")
                continue
            }
            let ok = data.withUnsafeBytes { writeAll(fd, $0, at: offset) }
            if !ok { fail(paths[f], "write: \(Errno(errno))") }
            close(fd)
        }
    }

    static func writeAll(_ fd: Int32, _ data: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < data.count {
            let n = pwrite(fd, data.baseAddress.map { $0 + done }, data.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }
}
