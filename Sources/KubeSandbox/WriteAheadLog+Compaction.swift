import Foundation
import NIOCore
import Synchronization

/// Compaction while the sandbox runs: the log is rewritten with one record per live object without stopping
/// writes for more than a moment.
///
/// 1. From the start, every record appended also goes to a tail buffer (``WriteAheadLog/Pending/tail``).
/// 2. The store is walked in small batches (``SandboxStore/walk(batch:_:)``; each batch holds the store's lock
///    briefly) and written to a temporary file, outside every lock; writes go on being appended and fsynced to
///    the old file meanwhile. A write during the walk may be missed by it or seen in either state: its record is
///    in the tail, which is replayed after the walked objects, so the new file ends in the same state.
/// 3. The tail so far is written and the file fsynced, still outside the locks.
/// 4. Under the log's lock (writes wait here only): the rest of the tail is written, the file fsynced and renamed
///    over the log, and the log continues in it.
extension WriteAheadLog {
    /// Starts a compaction on a thread of its own unless one is running; returns at once. A failed compaction
    /// leaves the old file in use and is tried again once the log has grown by as much again.
    func compactInBackground(_ store: SandboxStore) {
        guard claimCompaction() else { return }
        Thread.detachNewThread { [self] in
            do { try runClaimedCompaction(store) } catch {}  // the old file stays in use
        }
    }

    /// Compacts now (after a compaction that is running ends) and returns when the new file is in place.
    func compactNow(_ store: SandboxStore) async throws {
        while !claimCompaction() { await waitForCompaction() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { [self] in
                continuation.resume(with: Result { try runClaimedCompaction(store) })
            }
        }
    }

    /// Returns once no compaction is running.
    func waitForCompaction() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let running = compactions.withLock { state in
                if state.running { state.waiters.append(continuation) }
                return state.running
            }
            if !running { continuation.resume() }
        }
    }

    /// Compactions that completed since the log was opened.
    var completedCompactions: Int { compactions.withLock { $0.completed } }

    private func claimCompaction() -> Bool {
        compactions.withLock { state in
            if state.running { return false }
            state.running = true
            return true
        }
    }

    private func runClaimedCompaction(_ store: SandboxStore) throws {
        var succeeded = false
        defer {
            let waiters = compactions.withLock { state in
                state.running = false
                if succeeded { state.completed += 1 }
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        do {
            try rewrite(store)
            succeeded = true
        } catch {
            // Not again before the log has grown by as much again.
            disk.withLock { $0.compactedSize = max($0.compactedSize, $0.written) }
            throw error
        }
    }

    private func rewrite(_ store: SandboxStore) throws {
        pending.withLock { $0.tail = [] }
        defer { pending.withLock { $0.tail = nil } }
        let temporary = url.appendingPathExtension("compact")
        var writer = try LogFileWriter(creating: temporary)
        defer {
            writer.finish()
            unlink(temporary.path)  // left over only when the compaction failed
        }
        let version = try store.walk { storageKey, key, object in
            try writer.record("P", storageKey, key, object.resourceVersion, object.body)
        }
        try writer.record("R", "-", ObjectKey(namespace: "", name: "-"), version, nil)
        let snapshotSize = writer.written
        // The tail so far, and the fsync of the bulk, outside the locks.
        try writer.write(
            pending.withLock { pending in
                let taken = pending.tail ?? []
                pending.tail = []
                return taken
            }
        )
        try writer.sync()
        try disk.withLock { disk in
            let (rest, unsynced, appended) = pending.withLock { pending in
                let taken = (pending.tail ?? [], pending.bytes, pending.appended)
                pending.tail = nil
                pending.bytes = []
                return taken
            }
            do {
                try writer.write(rest)
                try writer.sync()
                try Self.moveIntoPlace(temporary, over: url)
            } catch {
                // Keep the old file: what was appended but not written yet goes there, as a sync would do.
                try Self.writeAll(unsynced, to: disk.descriptor, path: url.path)
                guard fsync(disk.descriptor) == 0 else {
                    throw SandboxError(.persistence, "fsync \(url.path): \(String(cString: strerror(errno)))")
                }
                disk.durable = max(disk.durable, appended)
                disk.written += unsynced.count
                throw error
            }
            let descriptor = try Self.openForAppending(url)
            close(disk.descriptor)
            disk.descriptor = descriptor
            disk.durable = max(disk.durable, appended)
            disk.written = writer.written - snapshotSize
            disk.compactedSize = snapshotSize
        }
    }
}

/// Writes log records to a new file through a 1 MiB buffer (a compacted log is as large as the store).
struct LogFileWriter {
    let path: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    /// Bytes handed to the writer so far.
    private(set) var written = 0

    init(creating url: URL) throws {
        path = url.path
        descriptor = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SandboxError(.persistence, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(1 << 20)
    }

    mutating func record(
        _ op: String,
        _ storageKey: String,
        _ key: ObjectKey,
        _ version: Int64,
        _ body: ByteBuffer?
    )
        throws
    {
        let before = buffer.count
        WriteAheadLog.encode(op, storageKey, key, version, body, into: &buffer)
        written += buffer.count - before
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func write(_ bytes: [UInt8]) throws {
        try flush()
        try WriteAheadLog.writeAll(bytes, to: descriptor, path: path)
        written += bytes.count
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try WriteAheadLog.writeAll(buffer, to: descriptor, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and fsyncs the file.
    mutating func sync() throws {
        try flush()
        guard fsync(descriptor) == 0 else {
            throw SandboxError(.persistence, "fsync \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Closes the file (also after a failure).
    mutating func finish() {
        if descriptor >= 0 { _ = close(descriptor) }
        descriptor = -1
    }
}
