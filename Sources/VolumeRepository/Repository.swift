package import Logging
import NIOCore
package import ObjectStorage
import Synchronization

/// A restic-format (v2) repository stored in an `ObjectStore` under a key prefix.
///
/// ```swift
/// let store = try FilesystemObjectStore(root: "/srv/repo")
/// let repo = try await Repository.open(store: store, password: "secret", logger: logger)
/// let summary = try await repo.backup(BackupOptions(paths: ["/data"]), logger: logger)
/// ```
package final class Repository: Sendable {
    /// How blobs are written.
    package struct Configuration: Sendable {
        /// Target pack size in bytes (restic's default: 16 MiB).
        package var packSize: Int
        /// Compress blobs with zstd (restic's `auto`); stored uncompressed when it does not shrink.
        package var compression: Bool
        /// zstd level. restic's `auto` is klauspost/compress `SpeedDefault`, its own encoder (documented as
        /// "roughly level 3"); libzstd level 2 gives repositories of the same size (within 0.5 % on the
        /// benchmark dataset) at ~20 % less CPU than level 3, so `auto` maps to 2 here.
        package var compressionLevel: Int32
        /// How many files (backup) or packs (check) are processed at once; restore reads twice as many
        /// pack ranges at once. A backup also hashes, compresses and encrypts one chunk per file while the
        /// next is chunked, so 2 keeps two cores busy; more adds memory (chunk and pack buffers), not speed.
        package var parallelism: Int
        /// scrypt parameters for new keys.
        var keyParameters: KeyFile.Parameters

        package init(
            packSize: Int = 16 * 1024 * 1024,
            compression: Bool = true,
            compressionLevel: Int32 = Configuration.autoLevel,
            parallelism: Int = 2
        ) {
            self.packSize = packSize
            self.compression = compression
            self.compressionLevel = compressionLevel
            self.parallelism = max(1, parallelism)
            self.keyParameters = .init()
        }

        /// The zstd level of restic's `auto` mode (see `compressionLevel`).
        package static let autoLevel: Int32 = 2
        /// The zstd level of restic's `max` mode.
        package static let maxLevel: Int32 = 19

        /// Cheap scrypt parameters for tests (N=1024, r=8, p=1).
        package static var testing: Configuration {
            var c = Configuration()
            c.keyParameters = .init(n: 1024, r: 8, p: 1)
            return c
        }
    }

    package let store: any ObjectStore
    /// Key prefix of the repository inside the store: "" or ending in "/".
    package let prefix: String
    package let config: RepositoryConfig
    package let configuration: Configuration
    let key: CryptoKey
    let chunker: Chunker
    let zstd: Zstd
    let index = MasterIndex()
    let packCache = PackCache(maxBytes: 96 * 1024 * 1024)
    let dataPacker: Packer
    /// Ciphertext buffers of blobs on their way into a pack, reused (see `CryptoKey.sealParts`).
    let sealBuffers: BufferPool
    let treePacker: Packer

    init(
        store: any ObjectStore,
        prefix: String,
        config: RepositoryConfig,
        key: CryptoKey,
        configuration: Configuration
    ) throws {
        self.store = store
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        self.config = config
        self.key = key
        self.configuration = configuration
        chunker = try Chunker(polynomial: config.chunkerPolynomial)
        zstd = Zstd(level: configuration.compressionLevel)
        dataPacker = Packer(type: .data, targetSize: configuration.packSize)
        sealBuffers = BufferPool(keep: configuration.parallelism + 1)
        treePacker = Packer(type: .tree, targetSize: configuration.packSize)
    }

    // MARK: keys of stored files

    /// The file kinds of the layout.
    package enum FileKind: String, Sendable {
        case data, keys, index, snapshots, locks
    }

    func objectKey(_ kind: FileKind, _ id: BlobID) -> String {
        let hex = id.hex
        if kind == .data { return prefix + "data/" + hex.prefix(2) + "/" + hex }
        return prefix + kind.rawValue + "/" + hex
    }

    var configKey: String { prefix + "config" }

    // MARK: init / open

    /// Creates a new repository (format v2) protected by `password`.
    /// - Throws: `RepositoryError.alreadyExists` when a `config` exists at the location.
    package static func initialize(
        store: any ObjectStore,
        prefix: String = "",
        password: String,
        configuration: Configuration = .init(),
        logger: Logger
    ) async throws -> Repository {
        let p = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        if try await store.head(p + "config") != nil {
            throw RepositoryError(
                code: .alreadyExists,
                message: "a repository already exists at this location (config found)"
            )
        }
        let master = CryptoKey.random()
        let config = RepositoryConfig.random()
        let keyFile = try KeyFile.create(master: master, password: password, parameters: configuration.keyParameters)
        let keyBytes = keyFile.encoded()
        let keyID = BlobID.hash(keyBytes)
        let repo = try Repository(store: store, prefix: p, config: config, key: master, configuration: configuration)
        try await repo.writeNew(repo.objectKey(.keys, keyID), keyBytes)
        try await repo.writeNew(repo.configKey, try master.seal(config.encoded()))
        logger.info("initialized repository", metadata: ["repo.id": "\(config.id)"])
        return repo
    }

    /// Opens an existing repository: tries every key file with `password`, then reads the config.
    /// - Throws: `RepositoryError.notARepository`, `.wrongPassword`.
    package static func open(
        store: any ObjectStore,
        prefix: String = "",
        password: String,
        configuration: Configuration = .init(),
        logger: Logger
    ) async throws -> Repository {
        let p = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        guard let sealedConfig = try await readIfPresent(store, p + "config") else {
            throw RepositoryError(code: .notARepository, message: "no repository at this location (config not found)")
        }
        var master: CryptoKey?
        for info in try await store.listAll(prefix: p + "keys/") {
            let name = String(info.key.split(separator: "/").last ?? "")
            guard let bytes = try await readIfPresent(store, info.key) else { continue }
            let keyFile: KeyFile
            do {
                keyFile = try KeyFile(decoding: bytes, name: name)
            } catch {
                logger.debug("skipping key file", metadata: ["key": "\(name)", "error": "\(error)"])
                continue
            }
            if let k = try? keyFile.open(password: password) {
                master = k
                break
            }
        }
        guard let master else { throw RepositoryError(code: .wrongPassword, message: "wrong password or no key found") }
        let config = try RepositoryConfig(decoding: try master.open(sealedConfig))
        let repo = try Repository(store: store, prefix: p, config: config, key: master, configuration: configuration)
        try await repo.loadIndex(logger: logger)
        return repo
    }

    // MARK: raw objects

    static func readIfPresent(_ store: any ObjectStore, _ key: String) async throws -> [UInt8]? {
        guard let buffer = try await store.getDataIfPresent(key, maxBytes: 1 << 30) else { return nil }
        return Array(buffer.readableBytesView)
    }

    func read(_ key: String) async throws -> [UInt8] {
        let buffer = try await store.getData(key, maxBytes: 1 << 30)
        return Array(buffer.readableBytesView)
    }

    /// Reads a whole file without copying it out of the store's buffer (packs).
    func readBuffer(_ key: String) async throws -> ByteBuffer {
        try await store.getData(key, maxBytes: 1 << 30)
    }

    /// Writes a file that must not exist yet: repository files are never overwritten.
    /// - Throws: `RepositoryError.alreadyExists` when `key` is taken (content-addressed names make that a
    ///   corruption or a collision; the existing file is left alone).
    func writeNew(_ key: String, _ bytes: [UInt8]) async throws {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        guard try await store.putIfAbsent(key, bytes: buffer) else {
            throw RepositoryError(code: .alreadyExists, message: "\(key) already exists; not overwriting it")
        }
    }

    /// Lists the IDs of the files of one kind.
    package func list(_ kind: FileKind) async throws -> [(id: BlobID, size: Int)] {
        try await store.listAll(prefix: prefix + kind.rawValue + "/").compactMap { info in
            guard let name = info.key.split(separator: "/").last, let id = BlobID(hex: String(name)) else { return nil }
            return (id, info.size)
        }
    }

    // MARK: unpacked files (index, snapshots, locks)

    /// Encrypts (and compresses, in v2) a JSON document and stores it under its hash.
    func saveUnpacked(_ kind: FileKind, _ json: [UInt8]) async throws -> BlobID {
        var plain: [UInt8]
        if config.version >= 2 {
            plain = [2]
            plain += json.withUnsafeBytes { zstd.compress($0) } ?? []
        } else {
            plain = json
        }
        let sealed = try key.seal(plain)
        let id = BlobID.hash(sealed)
        try await writeNew(objectKey(kind, id), sealed)
        return id
    }

    /// Loads, verifies and decrypts an unpacked file.
    func loadUnpacked(_ kind: FileKind, _ id: BlobID) async throws -> [UInt8] {
        let sealed = try await read(objectKey(kind, id))
        guard BlobID.hash(sealed) == id else {
            throw RepositoryError(
                code: .corrupt,
                message: "\(kind.rawValue)/\(id.hex): content does not match its name"
            )
        }
        let plain = try key.open(sealed)
        guard let first = plain.first else { return [] }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return plain }
        guard first == 2 else {
            throw RepositoryError(code: .corrupt, message: "\(kind.rawValue)/\(id.hex): unknown format byte \(first)")
        }
        return try plain.withUnsafeBytes { try Zstd.decompress(UnsafeRawBufferPointer(rebasing: $0[1...])) }
    }

    // MARK: index

    /// Loads every index file not loaded yet into memory.
    func loadIndex(logger: Logger) async throws {
        for (id, _) in try await list(.index) where !index.hasLoaded(id) {
            let file = try IndexFile(decoding: try await loadUnpacked(.index, id), name: id.hex)
            index.add(file, id: id)
        }
        logger.debug("loaded index", metadata: ["blobs": "\(index.blobCount)"])
    }

    /// Writes index files for the packs written in this session.
    func flushIndex() async throws {
        let packs = index.takeUnsaved()
        guard !packs.isEmpty else { return }
        var batch: [IndexFile.Pack] = []
        var count = 0
        for pack in packs {
            batch.append(pack)
            count += pack.blobs.count
            if count >= 50_000 {
                index.wrote(try await saveUnpacked(.index, IndexFile(packs: batch).encoded()))
                batch = []
                count = 0
            }
        }
        if !batch.isEmpty { index.wrote(try await saveUnpacked(.index, IndexFile(packs: batch).encoded())) }
    }

    // MARK: snapshots

    /// All snapshots, oldest first.
    package func snapshots() async throws -> [SnapshotEntry] {
        var result: [SnapshotEntry] = []
        for (id, _) in try await list(.snapshots) {
            let snap = try Snapshot(decoding: try await loadUnpacked(.snapshots, id), name: id.hex)
            result.append(SnapshotEntry(id: id, snapshot: snap))
        }
        return result.sorted { $0.snapshot.time < $1.snapshot.time }
    }

    /// Finds a snapshot by full ID, unique prefix, or `latest`.
    package func findSnapshot(_ ref: String) async throws -> SnapshotEntry {
        let all = try await snapshots()
        if ref == "latest" {
            guard let last = all.last else {
                throw RepositoryError(code: .notFound, message: "no snapshots in the repository")
            }
            return last
        }
        let matches = all.filter { $0.id.hex.hasPrefix(ref.lowercased()) }
        guard matches.count == 1, !ref.isEmpty else {
            throw RepositoryError(
                code: .notFound,
                message: matches.isEmpty ? "no snapshot matches \"\(ref)\"" : "snapshot prefix \"\(ref)\" is ambiguous"
            )
        }
        return matches[0]
    }

    func saveSnapshot(_ snapshot: Snapshot) async throws -> BlobID {
        try await saveUnpacked(.snapshots, snapshot.encoded())
    }
}
