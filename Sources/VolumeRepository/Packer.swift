import NIOCore
import Synchronization

/// Collects encrypted blobs of one type into packs; hands out full packs for upload.
///
/// Adding copies the sealed bytes under a lock; the caller that fills a pack uploads it, so at most one
/// pack per concurrent caller is in flight (bounded memory).
final class Packer: Sendable {
    let type: BlobType
    let targetSize: Int
    private let current: Mutex<PackWriter?> = Mutex(nil)
    /// Buffers of uploaded packs, reused for the next packs (saves page faults on 16 MiB buffers).
    private let spare: Mutex<[ByteBuffer]> = Mutex([])
    /// How many uploaded buffers are kept for reuse. Each keeps ~16 MiB resident, so none: the page
    /// faults of a fresh buffer cost less than the memory.
    static let spareBuffers = 0

    init(type: BlobType, targetSize: Int) {
        self.type = type
        self.targetSize = targetSize
    }

    /// Adds a blob; returns the sealed pack when this blob completed one (sealed here, where the writer has
    /// no other reference, so its buffer is appended to in place).
    func add(id: BlobID, sealed: CryptoKey.Sealed, uncompressedLength: Int?, key: CryptoKey) throws -> SealedPack? {
        try current.withLock { writer in
            if writer == nil {
                if let buffer = spare.withLock({ $0.popLast() }) {
                    writer = PackWriter(buffer: buffer)
                } else {
                    writer = PackWriter(capacity: targetSize + Chunker.maxSize + 1024 * 1024)
                }
            }
            writer?.add(type: type, id: id, sealed: sealed, uncompressedLength: uncompressedLength)
            guard let size = writer?.size, size >= targetSize, var full = writer.take() else { return nil }
            return try full.seal(key: key)
        }
    }

    /// Returns an uploaded pack's buffer for reuse.
    func recycle(_ buffer: ByteBuffer) {
        var buffer = buffer
        buffer.clear()
        spare.withLock { if $0.count < Self.spareBuffers { $0.append(buffer) } }
    }

    /// Takes the partly filled pack, if any, sealed.
    func takeRest(key: CryptoKey) throws -> SealedPack? {
        try current.withLock { writer in
            guard var rest = writer.take() else { return nil }
            return try rest.seal(key: key)
        }
    }
}

/// A small LRU cache of whole downloaded pack files (tree packs: one read serves many trees).
final class PackCache: Sendable {
    private struct State {
        var packs: [BlobID: [UInt8]] = [:]
        var order: [BlobID] = []
        var bytes = 0
    }
    private let state = Mutex(State())
    let maxBytes: Int

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func get(_ id: BlobID) -> [UInt8]? {
        state.withLock { s in
            guard let p = s.packs[id] else { return nil }
            if let i = s.order.firstIndex(of: id) { s.order.remove(at: i) }
            s.order.append(id)
            return p
        }
    }

    func put(_ id: BlobID, _ bytes: [UInt8]) {
        state.withLock { s in
            guard s.packs[id] == nil, bytes.count <= maxBytes else { return }
            s.packs[id] = bytes
            s.order.append(id)
            s.bytes += bytes.count
            while s.bytes > maxBytes, let oldest = s.order.first {
                s.order.removeFirst()
                s.bytes -= s.packs.removeValue(forKey: oldest)?.count ?? 0
            }
        }
    }

    func clear() {
        state.withLock { $0 = State() }
    }
}
