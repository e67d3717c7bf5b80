import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Repository {
    /// Downloads each needed pack once and writes its blobs to every file offset that uses them.
    func writeContents(
        _ files: [(path: [UInt8], node: Node)], sparse: Bool, progress: BackupProgress?,
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
            if let loc = index.lookup(BlobHandle(id: id, type: .data)) { byPack[loc.pack, default: []].append(loc.entry) }
        }
        let paths = files.map(\.path)
        let limiter = AsyncLimiter(limit: configuration.parallelism)
        let usesByBlob = uses
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (pack, entries) in byPack {
                group.addTask {
                    await limiter.withSlot {
                        let bytes: ByteBuffer
                        do {
                            bytes = try await self.readBuffer(self.objectKey(.data, pack))
                        } catch {
                            for e in entries { for (f, _) in usesByBlob[e.id] ?? [] { fail(paths[f], "pack \(pack.short): \(error)") } }
                            return
                        }
                        for e in entries {
                            let data: [UInt8]
                            do {
                                data = try bytes.withUnsafeReadableBytes { try self.decodeBlob(e, in: $0, verify: false) }
                            } catch {
                                for (f, _) in usesByBlob[e.id] ?? [] { fail(paths[f], "blob \(e.id.short): \(error)") }
                                continue
                            }
                            let zero = sparse && data.allSatisfy { $0 == 0 }
                            for (f, offset) in usesByBlob[e.id] ?? [] {
                                progress?.addBytes(UInt64(data.count))
                                if zero { continue }
                                let fd = paths[f].withCString { Glibc.open($0, O_WRONLY | O_CLOEXEC) }
                                guard fd >= 0 else {
                                    fail(paths[f], "open: \(Errno(errno))")
                                    continue
                                }
                                let ok = data.withUnsafeBytes { Self.writeAll(fd, $0, at: offset) }
                                if !ok { fail(paths[f], "write: \(Errno(errno))") }
                                close(fd)
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
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
