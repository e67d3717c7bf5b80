import Synchronization

/// Where a blob is stored.
package struct BlobLocation: Sendable, Hashable {
    package var pack: BlobID
    package var entry: PackEntry
}

/// The in-memory union of all index files plus the packs written by this process.
///
/// Thread-safe; `reserve` lets concurrent savers agree on who stores a blob first.
final class MasterIndex: Sendable {
    private struct State {
        var blobs: [BlobHandle: BlobLocation] = [:]
        var packs: [BlobID: [PackEntry]] = [:]
        var pending: Set<BlobHandle> = []
        /// Packs written in this session that are not yet in a saved index file.
        var unsaved: [IndexFile.Pack] = []
        /// The index files loaded so far.
        var files: Set<BlobID> = []
    }

    private let state = Mutex(State())

    init() {}

    /// Whether the index file `id` was loaded (or written by this process).
    func hasLoaded(_ id: BlobID) -> Bool { state.withLock { $0.files.contains(id) } }

    /// Records an index file this process wrote (its packs are already known).
    func wrote(_ id: BlobID) { _ = state.withLock { $0.files.insert(id) } }

    /// Adds the packs of a loaded index file (once per file when its `id` is given).
    func add(_ file: IndexFile, id: BlobID? = nil) {
        state.withLock { s in
            if let id, !s.files.insert(id).inserted { return }
            for pack in file.packs {
                s.packs[pack.id, default: []] += pack.blobs
                for b in pack.blobs {
                    s.blobs[BlobHandle(id: b.id, type: b.type)] = BlobLocation(pack: pack.id, entry: b)
                }
            }
        }
    }

    /// Records a pack written in this session.
    func addNew(pack: BlobID, entries: [PackEntry]) {
        state.withLock { s in
            s.packs[pack] = entries
            for b in entries {
                let h = BlobHandle(id: b.id, type: b.type)
                s.blobs[h] = BlobLocation(pack: pack, entry: b)
                s.pending.remove(h)
            }
            s.unsaved.append(IndexFile.Pack(id: pack, blobs: entries))
        }
    }

    /// Takes the packs that still need an index file.
    func takeUnsaved() -> [IndexFile.Pack] {
        state.withLock { s in
            defer { s.unsaved = [] }
            return s.unsaved
        }
    }

    /// Number of packs not yet in an index file.
    var unsavedBlobCount: Int { state.withLock { $0.unsaved.reduce(0) { $0 + $1.blobs.count } } }

    /// True when the blob is stored or being stored.
    func has(_ h: BlobHandle) -> Bool {
        state.withLock { $0.blobs[h] != nil || $0.pending.contains(h) }
    }

    /// Claims `h` for storing: true when the caller must store it, false when it is known already.
    func reserve(_ h: BlobHandle) -> Bool {
        state.withLock { s in
            if s.blobs[h] != nil || s.pending.contains(h) { return false }
            s.pending.insert(h)
            return true
        }
    }

    /// Releases a reservation after a failed save.
    func release(_ h: BlobHandle) {
        _ = state.withLock { $0.pending.remove(h) }
    }

    func lookup(_ h: BlobHandle) -> BlobLocation? {
        state.withLock { $0.blobs[h] }
    }

    /// All packs and their entries.
    var packs: [BlobID: [PackEntry]] { state.withLock { $0.packs } }

    /// All blobs.
    var blobs: [BlobHandle: BlobLocation] { state.withLock { $0.blobs } }

    var blobCount: Int { state.withLock { $0.blobs.count } }
}
