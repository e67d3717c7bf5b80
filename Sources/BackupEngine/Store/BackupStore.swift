package import AsyncAlgorithms
import Foundation
package import Kubernetes
package import NIOCore
package import ObjectStorage
package import VeleroAPI

/// Velero's object-store layout on top of any `ObjectStore`: the source of truth for backups,
/// whoever wrote them (Lifeboat or Velero).
///
/// Writes follow one rule: the object that makes a backup visible (`velero-backup.json`) is
/// written last and never over an existing one, so a crash never leaves a backup that looks
/// complete but is not.
package struct BackupStore: Sendable {
    package let store: any ObjectStore
    package let layout: ObjectStoreLayout

    package init(store: any ObjectStore, prefix: String?) {
        self.store = store
        self.layout = ObjectStoreLayout(prefix: prefix)
    }

    // MARK: - validation

    /// Velero's `IsValid`: the location is reachable and has no top-level folder other than
    /// `backups, restores, restic, metadata, plugins, kopia` under the prefix.
    /// - Throws: `BackupEngineError` `.storageUnavailable` or `.invalidLocation` naming the problem.
    package func validate() async throws {
        let prefixes: [String]
        do {
            prefixes = try await store.listPrefixes(prefix: layout.prefix.isEmpty ? "" : layout.prefix + "/")
        } catch {
            throw BackupEngineError(
                code: .storageUnavailable,
                message: "cannot list the location",
                cause: error
            )
        }
        let base = layout.prefix.isEmpty ? "" : layout.prefix + "/"
        let unknown = prefixes.map { String($0.dropFirst(base.count).dropLast()) }
            .filter { !ObjectStoreLayout.topLevelFolders.contains($0) }
        if !unknown.isEmpty {
            throw BackupEngineError(
                code: .invalidLocation,
                message:
                    "backup store contains invalid top-level directories: \(unknown.sorted()) (only \(ObjectStoreLayout.topLevelFolders.sorted().joined(separator: ", ")) are allowed under the prefix)"
            )
        }
    }

    /// Writes a small probe object under the prefix, reads it back and deletes it: the location can hold a
    /// backup. (Velero's server only lists the location; listing succeeds on a read-only folder or with
    /// read-only credentials, and the backup would fail later, after its work was done.)
    /// - Throws: `BackupEngineError` `.storageUnavailable` saying which step failed and why.
    package func probe() async throws {
        let key = layout.key("lifeboat-probe-\(UUID().uuidString)")
        let bytes = Array("lifeboat write probe \(Timestamps.now())\n".utf8)
        do {
            try await store.putData(key, bytes: bytes)
        } catch {
            throw BackupEngineError(code: .storageUnavailable, message: "cannot write a probe object", cause: error)
        }
        let read: [UInt8]
        do {
            read = Array(try await store.getData(key, maxBytes: 4096).readableBytesView)
        } catch {
            try? await store.delete(key)
            throw BackupEngineError(
                code: .storageUnavailable,
                message: "cannot read back the probe object \(key)",
                cause: error
            )
        }
        do {
            try await store.delete(key)
        } catch {
            throw BackupEngineError(
                code: .storageUnavailable,
                message: "cannot delete the probe object \(key)",
                cause: error
            )
        }
        guard read == bytes else {
            throw BackupEngineError(
                code: .storageUnavailable,
                message: "the probe object \(key) read back differs from what was written"
            )
        }
    }

    // MARK: - reading

    /// The names of the backups in the location (folders under `backups/`).
    package func backupNames() async throws -> [String] {
        let folder = layout.backupsFolder
        return try await store.listPrefixes(prefix: folder).map { String($0.dropFirst(folder.count).dropLast()) }
            .sorted()
    }

    /// The Backup stored in `velero-backup.json`, or `nil` when the backup does not exist.
    /// - Throws: `.corruptBackup` when the file is not a Backup.
    package func backup(named name: String) async throws -> Backup? {
        guard let buffer = try await store.getDataIfPresent(layout.backupMetadata(name)) else { return nil }
        do {
            return try JSONDecoder().decode(Backup.self, from: Data(buffer.readableBytesView))
        } catch {
            throw BackupEngineError(
                code: .corruptBackup,
                message: "\(layout.backupMetadata(name)) is not a valid velero.io/v1 Backup",
                cause: error
            )
        }
    }

    /// Streams the backup tarball.
    package func tarball(of name: String) async throws -> ObjectBody {
        do {
            return try await store.get(layout.backupContents(name))
        } catch let error as ObjectStoreError where error.code == .notFound {
            throw BackupEngineError(
                code: .notFound,
                message: "backup \(name) has no tarball at \(layout.backupContents(name))"
            )
        }
    }

    /// Reads and gunzips a small gzipped object; `nil` when it does not exist.
    package func gunzipped(_ key: String, maxBytes: Int = 256 << 20) async throws -> [UInt8]? {
        guard let buffer = try await store.getDataIfPresent(key, maxBytes: maxBytes) else { return nil }
        do {
            return try GzipDecompressor.decompress(Array(buffer.readableBytesView))
        } catch {
            throw BackupEngineError(code: .corruptBackup, message: "\(key) is not valid gzip", cause: error)
        }
    }

    /// The results document of a backup (`nil` when absent).
    package func backupResults(of name: String) async throws -> Results? {
        guard let bytes = try await gunzipped(layout.backupResults(name)) else { return nil }
        return try? JSONDecoder().decode(Results.self, from: Data(bytes))
    }

    // MARK: - writing

    /// Streams a gzip tarball to `key` from `produce`, which sends chunks into the channel it is
    /// given. The upload is atomic: if `produce` throws, nothing is left under `key`.
    package func upload<R: Sendable>(
        _ key: String,
        produce: @escaping @Sendable (AsyncThrowingChannel<ByteBuffer, any Error>) async throws -> R
    ) async throws -> R {
        let channel = AsyncThrowingChannel<ByteBuffer, any Error>()
        let store = self.store
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                try await store.put(key, body: channel, length: nil)
                return nil
            }
            group.addTask {
                do {
                    let result = try await produce(channel)
                    channel.finish()
                    return result
                } catch {
                    channel.fail(error)
                    throw error
                }
            }
            var result: R?
            do {
                for try await value in group where value != nil { result = value }
            } catch {
                group.cancelAll()
                throw error
            }
            guard let result else {
                throw BackupEngineError(code: .internal, message: "upload of \(key) produced no result")
            }
            return result
        }
    }

    /// Writes a small object gzip-compressed.
    package func putGzipped(_ key: String, _ bytes: [UInt8]) async throws {
        try await store.putData(key, bytes: try GzipCompressor.compress(bytes))
    }

    /// Claims `name` for one run before anything of the backup is written, so that two runs of one name
    /// never write into each other's files: the claim object is created only if absent.
    /// - Throws: `.alreadyExists` naming the claim when another run holds it (or a run that died left it:
    ///   `lifeboat backup delete NAME` removes the leftovers).
    package func claimBackupName(_ name: String, run: String) async throws {
        try await claimBackupName(name, claim: .current(run: run))
    }

    /// Claims `name` with `claim` (see ``claimBackupName(_:run:)``).
    package func claimBackupName(_ name: String, claim: BackupClaim) async throws {
        let key = layout.backupClaim(name)
        guard try await store.putIfAbsent(key, bytes: try Self.encoded(claim)) else {
            let holder = try? await self.claim(of: name)
            let since = holder.map { " since \($0.claimedAt)" } ?? ""
            let owner = holder.flatMap { h in h.pid.map { " (process \($0) on \(h.host ?? "?"))" } } ?? ""
            throw BackupEngineError(
                code: .alreadyExists,
                message:
                    "backup \(name) is being written by another run\(since)\(owner) (claim \(key)); if that run died, `lifeboat backup delete \(name)` removes its leftovers"
            )
        }
    }

    /// Rewrites the claim of `name` with a fresh heartbeat (only the run holding it calls this).
    package func heartbeat(_ name: String, claim: BackupClaim) async throws {
        try await store.putData(layout.backupClaim(name), bytes: try Self.encoded(claim.beating()))
    }

    /// The claim on `name`, or `nil` when there is none (an unreadable claim counts as one without an owner).
    package func claim(of name: String) async throws -> BackupClaim? {
        guard let buffer = try await store.getDataIfPresent(layout.backupClaim(name), maxBytes: 4096) else {
            return nil
        }
        return (try? JSONDecoder().decode(BackupClaim.self, from: Data(buffer.readableBytesView)))
            ?? BackupClaim(run: "", claimedAt: "", host: nil, pid: nil, heartbeatAt: nil)
    }

    private static func encoded(_ claim: BackupClaim) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(claim)) + [0x0A]
    }

    /// Whether `name` has a claim but no `velero-backup.json`: a run is writing it, or one died and left files.
    package func hasUnfinishedRun(_ name: String) async throws -> Bool {
        guard try await store.exists(layout.backupClaim(name)) else { return false }
        return try await !store.exists(layout.backupMetadata(name))
    }

    /// Removes this run's claim after the backup became visible (or was cleaned up).
    package func releaseBackupClaim(_ name: String) async throws {
        try await store.delete(layout.backupClaim(name))
    }

    /// Writes `velero-backup.json` if no backup of that name exists, byte for byte as Velero v1.18.1 writes it
    /// (``VeleroAPI/Backup/veleroBackupJSON()``: apimachinery's pretty JSON, 2-space indent, Go field order, no
    /// trailing newline).
    /// - Throws: `.alreadyExists` when the location already has it.
    package func putBackupMetadata(_ backup: Backup) async throws {
        let data = try backup.veleroBackupJSON()
        let written = try await store.putIfAbsent(layout.backupMetadata(backup.name), bytes: data)
        guard written else {
            throw BackupEngineError(
                code: .alreadyExists,
                message: "backup \(backup.name) already exists in the location (\(layout.backupMetadata(backup.name)))"
            )
        }
    }

    /// A velero.io object as Kubernetes writes it: `apiVersion`, `kind`, `metadata`, `spec`, `status` first,
    /// other keys sorted.
    package static func kubernetesJSON(_ value: some Encodable) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let sorted = try JSONValue(parsing: Array(try encoder.encode(value)))
        guard case .object(let object) = sorted else { return sorted }
        var ordered = JSONObject()
        for key in ["apiVersion", "kind", "metadata", "spec", "status"] where object[key] != nil {
            ordered[key] = object[key]
        }
        for (key, value) in object where ordered[key] == nil { ordered[key] = value }
        return .object(ordered)
    }

    /// Deletes every object of a backup: the metadata first (so it stops being visible), then the rest.
    /// - Returns: the number of objects deleted.
    @discardableResult
    package func deleteBackup(_ name: String) async throws -> Int {
        var deleted = 0
        if try await store.exists(layout.backupMetadata(name)) {
            try await store.delete(layout.backupMetadata(name))
            deleted += 1
        }
        deleted += try await store.deleteAll(prefix: layout.backupFolder(name))
        return deleted
    }

    /// Deletes the files of restore `name` (`restores/<name>/`: its log, results, resource list, …).
    /// - Returns: the number of objects deleted.
    @discardableResult
    package func deleteRestore(_ name: String) async throws -> Int {
        try await store.deleteAll(prefix: layout.restoreFolder(name))
    }

    /// Removes what interrupted writes of backup `name` left: temporary files of a local folder, incomplete
    /// multipart uploads of S3. Call it only when no run writes the backup (its claim is released or dead).
    /// - Returns: how many were removed.
    @discardableResult
    package func removeAbandonedWrites(of name: String) async throws -> Int {
        try await store.removeAbandonedWrites(prefix: layout.backupFolder(name), before: .distantFuture)
    }
}
