import NIOCore
import ObjectStorage
import Synchronization

@testable import BackupEngine

/// A decorator that checks, at every write and delete, the rule that makes a location trustworthy:
/// a `velero-backup.json` is never present without a complete tarball next to it.
///
/// It can also fail the upload of a tarball mid-stream, leaving the bytes received so far in the base
/// store (the worst a non-atomic backend could do).
struct InvariantCheckingStore<Base: ObjectStore>: ObjectStore {
    private final class State: Sendable {
        let violations = Mutex<[String]>([])
        let failTarballMidStream = Mutex(false)
        let blockTarball = Mutex(false)
        let tarballStarted = Mutex(false)
    }

    let base: Base
    private let state = State()

    init(base: Base) { self.base = base }

    /// Every broken invariant seen so far.
    var violations: [String] { state.violations.withLock { $0 } }

    /// Makes the next tarball upload fail after its first chunk, writing half of that chunk to the base store.
    func failNextTarballMidStream() { state.failTarballMidStream.withLock { $0 = true } }

    /// Makes tarball uploads hang (until cancelled) after their first chunk.
    func blockTarballs() { state.blockTarball.withLock { $0 = true } }

    /// Whether a tarball upload has received its first chunk.
    var tarballStarted: Bool { state.tarballStarted.withLock { $0 } }

    private func record(_ violation: String) { state.violations.withLock { $0.append(violation) } }

    /// `prefix/backups/<name>/` of a key under a backup folder, and the file name.
    private static func split(_ key: String) -> (folder: String, backup: String, file: String)? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[parts.count - 3] == "backups" else { return nil }
        return (parts.dropLast().joined(separator: "/") + "/", parts[parts.count - 2], parts[parts.count - 1])
    }

    /// Checks that the tarball of the backup whose metadata is `key` is present and complete.
    private func checkTarballBeforeMetadata(_ key: String) async {
        guard let (folder, backup, file) = Self.split(key), file == "velero-backup.json" else { return }
        let tarball = folder + backup + ".tar.gz"
        do {
            guard let bytes = try await base.getDataIfPresent(tarball, maxBytes: 1 << 30) else {
                record("\(key) written while \(tarball) is missing")
                return
            }
            _ = try BackupArchive.parse(gzipped: Array(bytes.readableBytesView))
        } catch {
            record("\(key) written while \(tarball) is incomplete: \(error)")
        }
    }

    func put(_ key: String, body: some AsyncSequence<ByteBuffer, any Error> & Sendable, length: Int?) async throws {
        await checkTarballBeforeMetadata(key)
        if key.hasSuffix(".tar.gz") {
            let failing = state.failTarballMidStream.withLock { value -> Bool in
                defer { value = false }
                return value
            }
            let blocking = state.blockTarball.withLock { $0 }
            if failing || blocking {
                var received = ByteBuffer()
                for try await chunk in body {
                    received.writeImmutableBuffer(chunk)
                    state.tarballStarted.withLock { $0 = true }
                    if blocking {
                        try await Task.sleep(for: .seconds(300))
                    }
                    break
                }
                let partial =
                    received.getSlice(at: received.readerIndex, length: received.readableBytes / 2) ?? ByteBuffer()
                try await base.putData(key, bytes: partial)
                throw ObjectStoreError(
                    code: .unavailable,
                    message: "injected: connection reset during upload of \(key)"
                )
            }
        }
        try await base.put(key, body: body, length: length)
    }

    func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        await checkTarballBeforeMetadata(key)
        return try await base.putIfAbsent(key, body: body, length: length)
    }

    func get(_ key: String) async throws -> ObjectBody { try await base.get(key) }
    func get(_ key: String, range: Range<Int>) async throws -> ObjectBody { try await base.get(key, range: range) }
    func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String, delimiter: String?) -> ObjectListing { base.list(prefix: prefix, delimiter: delimiter) }

    func delete(_ key: String) async throws {
        if let (folder, backup, file) = Self.split(key), file == backup + ".tar.gz",
            (try? await base.exists(folder + "velero-backup.json")) == true
        {
            record("\(key) deleted while \(folder)velero-backup.json still exists")
        }
        try await base.delete(key)
    }
}
