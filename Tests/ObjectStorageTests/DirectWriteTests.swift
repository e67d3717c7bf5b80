import Foundation
import NIOCore
import ObjectStorageTesting
import Testing

@testable import ObjectStorage

#if canImport(Glibc)
import Glibc
#endif

/// Large objects in a filesystem store are written past the page cache; the bytes must be the same whatever
/// the sizes of the object, of its body's chunks and of its unaligned tail.
struct DirectWriteTests {
    /// Whether `folder` is on ext4, XFS or btrfs, which take `O_DIRECT`.
    static func takesDirectIO(_ folder: String) -> Bool {
        // /proc/mounts: the longest mount point that contains `folder` names its filesystem type.
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return false }
        let resolved = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        let best = mounts.split(separator: "\n").compactMap { line -> (point: String, type: String)? in
            let fields = line.split(separator: " ")
            guard fields.count > 2 else { return nil }
            let point = String(fields[1])
            guard resolved == point || resolved.hasPrefix(point == "/" ? "/" : point + "/") else { return nil }
            return (point, String(fields[2]))
        }.max { $0.point.count < $1.point.count }
        return ["ext4", "xfs", "btrfs"].contains(best?.type ?? "")
    }

    static let block = DirectFileWriter.alignment
    static let staging = DirectFileWriter.stagingSize

    @Test(arguments: [
        FilesystemObjectStore.directWriteThreshold, FilesystemObjectStore.directWriteThreshold + 1,
        3 * staging + block - 1, 5 * staging, 2 * staging + 17 * block,
    ])
    func largeObjectsReadBackByteForByte(size: Int) async throws {
        try await withTemporaryFolder { folder in
            let store = try FilesystemObjectStore(root: folder)
            let bytes = TestBytes.noise(size, seed: UInt64(size))
            try await store.putData("data/pack", bytes: ByteBuffer(bytes: bytes))
            #expect(try await store.getData("data/pack", maxBytes: size) == ByteBuffer(bytes: bytes))
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: folder + "/data/pack"))
            #expect(onDisk.count == size)
        }
    }

    /// A body in chunks of odd sizes crosses the staging buffer's end at every kind of offset.
    @Test(arguments: [511, 4095, 4097, 65_537, 1_048_577])
    func chunkedBodiesReadBackByteForByte(chunk: Int) async throws {
        try await withTemporaryFolder { folder in
            let store = try FilesystemObjectStore(root: folder)
            let bytes = TestBytes.noise(2 * Self.staging + 12_345, seed: UInt64(chunk))
            let pieces = stride(from: 0, to: bytes.count, by: chunk).map {
                ByteBuffer(bytes: bytes[$0..<min(bytes.count, $0 + chunk)])
            }
            let stream = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
                for piece in pieces { continuation.yield(piece) }
                continuation.finish()
            }
            let body = ObjectBody(length: bytes.count, stream: stream)
            try await store.put("data/chunked", body: body, length: bytes.count)
            #expect(try await store.getData("data/chunked", maxBytes: bytes.count) == ByteBuffer(bytes: bytes))
        }
    }

    /// Where the filesystem takes direct I/O, whole blocks go direct and only an unaligned tail turns it off.
    @Test func wholeBlocksGoDirectAndTheTailBuffered() async throws {
        try await withTemporaryFolder { folder in
            for tail in [0, 100] {
                let path = folder + "/file-\(tail)"
                let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                try #require(fd >= 0)
                defer { close(fd) }
                guard let writer = DirectFileWriter(fd: fd, path: path) else {
                    // Only a filesystem that refuses O_DIRECT may make the store write through the page cache.
                    #expect(!Self.takesDirectIO(folder), "O_DIRECT refused on a filesystem that takes it")
                    return
                }
                let bytes = TestBytes.noise(Self.staging + 3 * Self.block + tail, seed: 7)
                try writer.write(ByteBuffer(bytes: bytes))
                #expect(writer.isDirect)
                try writer.finish()
                #expect(writer.isDirect == (tail == 0))
                #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
            }
        }
    }
}
