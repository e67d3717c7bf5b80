import Foundation
import Kubernetes
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The append-only log behind `--data-dir`: one record per committed write, fsynced before the write is
/// answered (group commit: one fsync covers every record appended before it).
///
/// Record format (text header, raw JSON body):
/// ```
/// P\t<storageKey>\t<namespace>\t<name>\t<resourceVersion>\t<bodyLength>\n<body>\n     put
/// D\t<storageKey>\t<namespace>\t<name>\t<resourceVersion>\t0\n\n                       delete
/// R\t-\t\t-\t<resourceVersion>\t0\n\n                                           counter (after compaction)
/// ```
/// A torn record at the end (kill -9 during a write that was never acknowledged) is dropped on replay.
/// On start the log is replayed and compacted (rewritten with one record per live object); while running it is
/// compacted on a thread of its own once it grew enough (see `WriteAheadLog+Compaction.swift`).
final class WriteAheadLog: Sendable {
    struct Pending {
        var bytes: [UInt8] = []
        var appended: UInt64 = 0
        /// While a compaction runs: every record appended since it started (they go to the new file too).
        var tail: [UInt8]?
    }

    struct Disk {
        var descriptor: Int32
        var durable: UInt64 = 0
        /// Bytes appended since the last compaction, and the size of that compacted file.
        var written = 0
        var compactedSize = 0
    }

    struct Compactions {
        var running = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var completed = 0
    }

    /// The log is rewritten while running once it grew by this much and by twice its compacted size.
    let compactionThreshold: Int

    let url: URL
    let pending = Mutex(Pending())
    let disk: Mutex<Disk>
    let compactions = Mutex(Compactions())

    /// Opens (creating) the log file for appending.
    init(url: URL, compactionThreshold: Int = 64 << 20) throws {
        self.url = url
        self.compactionThreshold = compactionThreshold
        disk = Mutex(Disk(descriptor: try Self.openForAppending(url)))
    }

    /// Re-opens the file after compaction replaced it.
    func reopen() throws {
        let descriptor = try Self.openForAppending(url)
        disk.withLock { disk in
            close(disk.descriptor)
            disk.descriptor = descriptor
        }
    }

    deinit {
        disk.withLock { _ = close($0.descriptor) }
    }

    static func openForAppending(_ url: URL) throws -> Int32 {
        let descriptor = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SandboxError(.persistence, "cannot open \(url.path): \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    /// Encodes a record into the pending buffer; returns its sequence number.
    func append(_ event: WatchEvent) -> UInt64 {
        pending.withLock { pending in
            let start = pending.bytes.count
            Self.encode(
                event.kind == .deleted ? "D" : "P",
                event.storageKey,
                event.key,
                event.resourceVersion,
                event.kind == .deleted ? nil : event.object.body,
                into: &pending.bytes
            )
            pending.tail?.append(contentsOf: pending.bytes[start...])
            pending.appended += 1
            return pending.appended
        }
    }

    /// Writes and fsyncs everything appended up to (at least) `sequence`.
    func sync(upTo sequence: UInt64) async throws {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            try disk.withLock { disk in
                guard disk.durable < sequence else { return }
                let (bytes, last) = pending.withLock { pending in
                    let taken = pending.bytes
                    pending.bytes = []
                    pending.bytes.reserveCapacity(taken.count)
                    return (taken, pending.appended)
                }
                try Self.writeAll(bytes, to: disk.descriptor, path: url.path)
                guard fsync(disk.descriptor) == 0 else {
                    throw SandboxError(.persistence, "fsync \(url.path): \(String(cString: strerror(errno)))")
                }
                disk.durable = last
                disk.written += bytes.count
            }
        }
    }

    /// Whether the log grew enough since its last compaction to be rewritten.
    var needsCompaction: Bool {
        disk.withLock { $0.written > max(compactionThreshold, 2 * $0.compactedSize) }
    }

    // MARK: - Replay and compaction

    /// Replays a log file into `store`; returns the number of records read. Drops a torn tail.
    static func replay(url: URL, into store: SandboxStore, logger: Logger) throws -> Int {
        guard FileManager.default.fileExists(atPath: url.path) else { return 0 }
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw SandboxError(.persistence, "cannot read \(url.path)", cause: error)
        }
        var records = 0
        var maxVersion: Int64 = 0
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var index = 0
            while index < bytes.count {
                guard let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { break }
                let header = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<newline]), as: UTF8.self)
                let fields = header.split(separator: "\t", omittingEmptySubsequences: false)
                guard fields.count == 6, let version = Int64(fields[4]), let length = Int(fields[5]),
                    newline + 1 + length + 1 <= bytes.count
                else { break }
                let key = ObjectKey(namespace: String(fields[2]), name: String(fields[3]))
                let bodyStart = newline + 1
                if fields[0] == "R" {
                    // the counter at compaction time (deletes may have advanced it past every live object)
                } else if fields[0] == "P" {
                    var body = ByteBuffer()
                    body.writeBytes(UnsafeRawBufferPointer(rebasing: raw[bodyStart..<(bodyStart + length)]))
                    let object: JSONValue
                    do { object = try JSONValue(parsing: body) } catch {
                        throw SandboxError(
                            .persistence,
                            "\(url.path): record at byte \(index) has a body that is not JSON",
                            cause: error
                        )
                    }
                    store.restore(
                        String(fields[1]),
                        key,
                        StoredObject(body: body, resourceVersion: version, object: object)
                    )
                } else {
                    store.restore(String(fields[1]), key, nil)
                }
                maxVersion = max(maxVersion, version)
                records += 1
                index = bodyStart + length + 1
            }
            if index < bytes.count {
                logger.info(
                    "dropping torn record at the end of the log",
                    metadata: ["file": "\(url.path)", "offset": "\(index)", "bytes": "\(bytes.count - index)"]
                )
            }
        }
        store.finishReplay(resourceVersion: maxVersion)
        return records
    }

    /// Rewrites `url` with one record per live object of `store` (atomically, via rename); for a store that is
    /// not written to (at start, after the replay, and at shutdown).
    static func compact(store: SandboxStore, url: URL) throws {
        let temporary = url.appendingPathExtension("compact")
        var writer = try LogFileWriter(creating: temporary)
        defer { writer.finish() }
        let version = try store.walk { storageKey, key, object in
            try writer.record("P", storageKey, key, object.resourceVersion, object.body)
        }
        try writer.record("R", "-", ObjectKey(namespace: "", name: "-"), version, nil)
        try writer.sync()
        try moveIntoPlace(temporary, over: url)
    }

    /// Renames `temporary` over `url`, then fsyncs the directory.
    static func moveIntoPlace(_ temporary: URL, over url: URL) throws {
        guard rename(temporary.path, url.path) == 0 else {
            throw SandboxError(.persistence, "cannot replace \(url.path): \(String(cString: strerror(errno)))")
        }
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    static func encode(
        _ op: String,
        _ storageKey: String,
        _ key: ObjectKey,
        _ version: Int64,
        _ body: ByteBuffer?,
        into bytes: inout [UInt8]
    ) {
        let length = body?.readableBytes ?? 0
        bytes.append(contentsOf: "\(op)\t\(storageKey)\t\(key.namespace)\t\(key.name)\t\(version)\t\(length)\n".utf8)
        if let body { bytes.append(contentsOf: body.readableBytesView) }
        bytes.append(UInt8(ascii: "\n"))
    }

    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SandboxError(.persistence, "write \(path): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }
}
