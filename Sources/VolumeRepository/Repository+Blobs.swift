import NIOCore
import ObjectStorage

extension Repository {
    /// Result of storing one blob.
    struct SaveResult: Sendable {
        /// True when the blob was new and has been written.
        var added: Bool
        /// Bytes added to packs (encrypted size).
        var storedBytes: Int
    }

    /// Stores a blob unless the repository already has it (synchronous part).
    ///
    /// Compresses with zstd (kept only when smaller), encrypts and adds the blob to the pack of its type.
    /// - Returns: the result and, when this blob filled a pack, the pack that the caller must `upload`.
    func addBlob(_ type: BlobType, id: BlobID, plaintext: UnsafeRawBufferPointer) throws -> (SaveResult, SealedPack?) {
        let handle = BlobHandle(id: id, type: type)
        guard index.reserve(handle) else { return (SaveResult(added: false, storedBytes: 0), nil) }
        do {
            let sealed: CryptoKey.Sealed
            let uncompressedLength: Int?
            if config.version >= 2 && configuration.compression && plaintext.count > 1 {
                // The frame is written straight into a pooled buffer and encrypted there; a frame that is
                // not smaller than the plaintext does not fit, and the plaintext is stored instead.
                var frame = sealBuffers.take(count: plaintext.count - 1)
                let length = frame.withUnsafeMutableBytes { zstd.compress(plaintext, into: $0) }
                if let length {
                    frame.removeSubrange(length...)
                    (sealed, uncompressedLength) = (try key.sealInPlace(consume frame), plaintext.count)
                } else {
                    sealBuffers.give(consume frame)
                    (sealed, uncompressedLength) = (try key.sealParts(plaintext, buffers: sealBuffers), nil)
                }
            } else {
                (sealed, uncompressedLength) = (try key.sealParts(plaintext, buffers: sealBuffers), nil)
            }
            let packer = type == .data ? dataPacker : treePacker
            let full = try packer.add(id: id, sealed: sealed, uncompressedLength: uncompressedLength, key: key)
            let storedBytes = sealed.count
            sealBuffers.give((consume sealed).ciphertext)
            return (SaveResult(added: true, storedBytes: storedBytes), full)
        } catch {
            index.release(handle)
            throw error
        }
    }

    /// Stores a blob given as bytes; the ID is computed here. Uploads a pack when one is full.
    func saveBlob(_ type: BlobType, bytes: [UInt8]) async throws -> (id: BlobID, result: SaveResult) {
        let id = BlobID.hash(bytes)
        let (result, full) = try bytes.withUnsafeBytes { try addBlob(type, id: id, plaintext: $0) }
        if let pack = consume full { try await upload(consume pack) }
        return (id, result)
    }

    /// Uploads a sealed pack under its hash, then records its blobs.
    func upload(_ pack: consuming SealedPack) async throws {
        let entries = pack.entries
        let bytes = (consume pack).bytes
        let id = bytes.withUnsafeReadableBytes { BlobID.hash($0) }
        try await store.putData(objectKey(.data, id), bytes: bytes)
        index.addNew(pack: id, entries: entries)
        // Handed over as the last reference, so the packer can reuse its pages.
        (entries.first?.type == .tree ? treePacker : dataPacker).recycle(consume bytes)
    }

    /// Uploads partly filled packs and writes the index for everything written so far.
    package func flush() async throws {
        if let rest = try dataPacker.takeRest(key: key) { try await upload(consume rest) }
        if let rest = try treePacker.takeRest(key: key) { try await upload(consume rest) }
        try await flushIndex()
    }

    // MARK: reading

    /// Downloads a whole pack (cached).
    func loadPack(_ id: BlobID) async throws -> [UInt8] {
        if let cached = packCache.get(id) { return cached }
        let bytes = try await read(objectKey(.data, id))
        packCache.put(id, bytes)
        return bytes
    }

    /// Decrypts, decompresses and (with `verify`) checks one blob from pack bytes against its ID.
    ///
    /// The MAC already authenticates the ciphertext; `verify` also re-hashes the plaintext (check, trees).
    func decodeBlob(_ entry: PackEntry, in pack: UnsafeRawBufferPointer, verify: Bool = true) throws -> [UInt8] {
        guard entry.offset >= 0, entry.offset + entry.length <= pack.count else {
            throw RepositoryError(code: .corrupt, message: "blob \(entry.id.short) lies outside its pack")
        }
        let plain = try key.open(UnsafeRawBufferPointer(rebasing: pack[entry.offset..<(entry.offset + entry.length)]))
        let data: [UInt8]
        if let expected = entry.uncompressedLength {
            data = try plain.withUnsafeBytes { try Zstd.decompress($0, expectedSize: expected) }
        } else {
            data = plain
        }
        guard !verify || BlobID.hash(data) == entry.id else {
            throw RepositoryError(code: .corrupt, message: "blob \(entry.id.short): content does not match its ID")
        }
        return data
    }

    /// Loads one blob by ID.
    package func loadBlob(_ type: BlobType, id: BlobID) async throws -> [UInt8] {
        guard let location = index.lookup(BlobHandle(id: id, type: type)) else {
            throw RepositoryError(code: .notFound, message: "\(type.name) blob \(id.hex) is not in the index")
        }
        let pack = try await loadPack(location.pack)
        return try pack.withUnsafeBytes { try decodeBlob(location.entry, in: $0) }
    }

    /// Loads and decodes a tree.
    package func loadTree(_ id: BlobID) async throws -> Tree {
        try Tree(decoding: try await loadBlob(.tree, id: id))
    }

    /// Stores a tree; returns its ID.
    func saveTree(_ tree: Tree) async throws -> (id: BlobID, result: SaveResult) {
        try await saveBlob(.tree, bytes: tree.encoded())
    }
}
