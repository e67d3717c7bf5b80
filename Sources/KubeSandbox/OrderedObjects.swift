/// One collection's objects in etcd key order (namespace, then name), kept sorted as they are written, so that
/// a LIST never sorts and never hashes: a sorted array of entries cut into chunks of at most ``maximumChunk``,
/// so that a write moves at most one chunk's entries (and, when a chunk splits or empties, the chunk list).
/// A lookup is a binary search over the chunks' first keys, then inside one chunk.
///
/// A ``Position`` names a place in the order; it stays valid only until the next insert or removal.
struct OrderedObjects: Sendable {
    struct Entry: Sendable {
        var key: ObjectKey
        var object: StoredObject
    }

    /// A place in the order: a chunk and an offset inside it (the end is one past the last chunk).
    struct Position: Sendable, Equatable {
        var chunk: Int
        var offset: Int
    }

    static let maximumChunk = 256

    private var chunks: [[Entry]] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The object at `key`.
    subscript(key: ObjectKey) -> StoredObject? {
        guard !chunks.isEmpty else { return nil }
        let chunk = chunkIndex(for: key)
        let offset = Self.lowerBound(chunks[chunk], key)
        guard offset < chunks[chunk].count, chunks[chunk][offset].key == key else { return nil }
        return chunks[chunk][offset].object
    }

    /// Stores (nil: removes) the object at `key`; returns what was there.
    @discardableResult
    mutating func set(_ key: ObjectKey, _ object: StoredObject?) -> StoredObject? {
        guard !chunks.isEmpty else {
            if let object {
                chunks.append([Entry(key: key, object: object)])
                count = 1
            }
            return nil
        }
        let chunk = chunkIndex(for: key)
        let offset = Self.lowerBound(chunks[chunk], key)
        let present = offset < chunks[chunk].count && chunks[chunk][offset].key == key
        switch (present, object) {
        case (true, let object?):
            let previous = chunks[chunk][offset].object
            chunks[chunk][offset].object = object
            return previous
        case (true, nil):
            let previous = chunks[chunk].remove(at: offset).object
            count -= 1
            if chunks[chunk].isEmpty { chunks.remove(at: chunk) }
            return previous
        case (false, let object?):
            count += 1
            chunks[chunk].insert(Entry(key: key, object: object), at: offset)
            if chunks[chunk].count > Self.maximumChunk {
                let half = chunks[chunk].count / 2
                let upper = Array(chunks[chunk][half...])
                chunks[chunk].removeSubrange(half...)
                chunks.insert(upper, at: chunk + 1)
            }
            return nil
        case (false, nil):
            return nil
        }
    }

    /// The first position whose key is not less than `key` (`strictlyAfter`: greater than `key`).
    func position(of key: ObjectKey, strictlyAfter: Bool = false) -> Position {
        guard !chunks.isEmpty else { return end }
        let chunk = chunkIndex(for: key)
        let offset = strictlyAfter ? Self.upperBound(chunks[chunk], key) : Self.lowerBound(chunks[chunk], key)
        // Every key of the next chunk is greater than `key`, so running off this chunk lands on the next one.
        guard offset < chunks[chunk].count else { return Position(chunk: chunk + 1, offset: 0) }
        return Position(chunk: chunk, offset: offset)
    }

    var start: Position { Position(chunk: 0, offset: 0) }
    var end: Position { Position(chunk: chunks.count, offset: 0) }

    /// The entry at `position`, or nil at the end.
    func entry(at position: Position) -> Entry? {
        position.chunk < chunks.count ? chunks[position.chunk][position.offset] : nil
    }

    /// The position after `position` (which must not be the end).
    func after(_ position: Position) -> Position {
        position.offset + 1 < chunks[position.chunk].count
            ? Position(chunk: position.chunk, offset: position.offset + 1)
            : Position(chunk: position.chunk + 1, offset: 0)
    }

    /// The number of entries before `position`.
    func rank(of position: Position) -> Int {
        chunks[..<min(position.chunk, chunks.count)].reduce(position.offset) { $0 + $1.count }
    }

    /// Calls `body` with every entry from `position` on, in order, until it returns false.
    func forEach(from position: Position, _ body: (Entry) -> Bool) {
        guard position.chunk < chunks.count else { return }
        for entry in chunks[position.chunk][position.offset...] where !body(entry) { return }
        for chunk in chunks[(position.chunk + 1)...] {
            for entry in chunk where !body(entry) { return }
        }
    }

    /// The chunk that holds `key` or would: the last one whose first key is not greater than `key` (or the first).
    private func chunkIndex(for key: ObjectKey) -> Int {
        var low = 0
        var high = chunks.count
        while low < high {
            let mid = (low + high) / 2
            if key < chunks[mid][0].key { high = mid } else { low = mid + 1 }
        }
        return max(low - 1, 0)
    }

    private static func lowerBound(_ entries: [Entry], _ target: ObjectKey) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].key < target { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private static func upperBound(_ entries: [Entry], _ target: ObjectKey) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if target < entries[mid].key { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
