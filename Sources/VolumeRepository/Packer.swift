import NIOCore
import Synchronization

/// Collects encrypted blobs of one type into packs; hands out full packs for upload.
///
/// Adding copies the sealed bytes under a lock; the caller that fills a pack uploads it or hands it to a
/// `PackUploader`, which bounds the packs in flight.
final class Packer: Sendable {
    let type: BlobType
    let targetSize: Int
    private let current: Mutex<PackWriter?> = Mutex(nil)
    /// Buffers of uploaded packs, reused for the next packs.
    private let spare: Mutex<[ByteBuffer]> = Mutex([])
    /// How many uploaded buffers are kept for reuse (see `init`).
    let spareBuffers: Int

    /// - Parameter spareBuffers: uploaded pack buffers kept for the next packs. Each stays ~17 MiB resident
    ///   from the start of its next pack, where a new buffer only grows as it fills. A new buffer's pages are
    ///   cleared by the kernel as they are first written, and that happens under the packer's lock: in a
    ///   `perf record` of the first backup of the benchmark dataset, page clearing was 5.6 % of the CPU and
    ///   threads blocked on this lock another 2.4 %; with two spares both were gone, for ~20 MiB more peak RSS.
    init(type: BlobType, targetSize: Int, spareBuffers: Int = 2) {
        self.type = type
        self.targetSize = targetSize
        self.spareBuffers = spareBuffers
    }

    /// Adds a blob; returns the sealed pack when this blob completed one (sealed here, where the writer has
    /// no other reference, so its buffer is appended to in place).
    func add(id: BlobID, sealed: CryptoKey.Sealed, uncompressedLength: Int?, key: CryptoKey) throws -> SealedPack? {
        try current.withLock { writer in
            if writer == nil {
                if let buffer = spare.withLock({ $0.popLast() }) {
                    writer = PackWriter(buffer: consume buffer)
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
    func recycle(_ buffer: consuming ByteBuffer) {
        // Only a buffer with no other reference keeps its pages: `clear()` gives a shared one new storage.
        buffer.clear()
        let cleared = consume buffer
        spare.withLock { if $0.count < spareBuffers { $0.append(cleared) } }
    }

    /// Takes the partly filled pack, if any, sealed.
    func takeRest(key: CryptoKey) throws -> SealedPack? {
        try current.withLock { writer in
            guard var rest = writer.take() else { return nil }
            return try rest.seal(key: key)
        }
    }
}

/// Byte buffers handed out and taken back, so their pages stay mapped between uses.
///
/// At most `keep` buffers are kept; a buffer beyond that, or one that grew past `maxCapacity`, is freed.
final class BufferPool: Sendable {
    private let free = Mutex<[[UInt8]]>([])
    let keep: Int
    let maxCapacity: Int

    init(keep: Int, maxCapacity: Int = Chunker.maxSize + 1024 * 1024) {
        self.keep = keep
        self.maxCapacity = maxCapacity
    }

    /// An empty buffer with room for `capacity` bytes.
    func take(capacity: Int) -> [UInt8] {
        var buffer = pick(capacity)
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(capacity)
        return buffer
    }

    /// A buffer of exactly `count` bytes whose contents are undefined (left over from an earlier use, or never
    /// written): callers write before they read. A pooled buffer without room is replaced, not grown, so
    /// nothing is copied, and new memory is not zeroed (its pages are touched only when written).
    func take(count: Int) -> [UInt8] {
        var buffer = pick(count)
        guard buffer.capacity >= count else { return Self.uninitialized(count: count) }
        if buffer.count > count {
            buffer.removeSubrange(count...)
        } else if buffer.count < count {
            buffer.append(contentsOf: repeatElement(0, count: count - buffer.count))
        }
        return buffer
    }

    /// `count` bytes of new memory, not initialised: its pages are touched only when written, and callers
    /// write each byte before reading it (bytes are trivial values, so no byte needs initialising first).
    static func uninitialized(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Returns a buffer for reuse.
    func give(_ buffer: [UInt8]) {
        // The allocator may round a request up by a page or so.
        guard buffer.capacity <= maxCapacity + 16 * 1024 else { return }
        free.withLock { if $0.count < keep { $0.append(buffer) } }
    }

    /// Removes and returns the smallest pooled buffer whose capacity is at least `needed`; else the largest
    /// (to be grown or replaced, so the pool converges on buffers that fit); else a new empty one.
    private func pick(_ needed: Int) -> [UInt8] {
        free.withLock { pool in
            guard !pool.isEmpty else { return [] }
            var best = 0
            for i in pool.indices.dropFirst() {
                let s = pool[i].capacity
                let b = pool[best].capacity
                if s >= needed ? (b < needed || s < b) : (b < needed && s > b) { best = i }
            }
            return pool.remove(at: best)
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
