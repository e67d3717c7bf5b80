import NIOCore
import ObjectStorage
import Synchronization

/// A decorator that holds every write of a key ending in `barrierSuffix` (by default `velero-backup.json`)
/// until `parties` writers have arrived (or `timeout` passed), so concurrent runs of the same backup reach
/// that write together. It also counts the writes per key.
struct MetadataBarrierStore<Base: ObjectStore>: ObjectStore {
    private final class State: Sendable {
        let arrived = Mutex(0)
        let writes = Mutex<[String: Int]>([:])
    }

    let base: Base
    let parties: Int
    let timeout: Duration
    let barrierSuffix: String
    private let state = State()

    init(base: Base, parties: Int = 2, timeout: Duration = .seconds(5), barrierSuffix: String = "/velero-backup.json") {
        self.base = base
        self.parties = parties
        self.timeout = timeout
        self.barrierSuffix = barrierSuffix
    }

    /// How many writes (put or putIfAbsent, whatever their outcome) reached `key`.
    func writes(to key: String) -> Int { state.writes.withLock { $0[key] ?? 0 } }

    private func arriveAndWait(_ key: String) async throws {
        state.writes.withLock { $0[key, default: 0] += 1 }
        guard key.hasSuffix(barrierSuffix) else { return }
        state.arrived.withLock { $0 += 1 }
        let deadline = ContinuousClock.now + timeout
        while state.arrived.withLock({ $0 }) < parties && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func put(_ key: String, body: some AsyncSequence<ByteBuffer, any Error> & Sendable, length: Int?) async throws {
        try await arriveAndWait(key)
        try await base.put(key, body: body, length: length)
    }

    func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        try await arriveAndWait(key)
        return try await base.putIfAbsent(key, body: body, length: length)
    }

    func get(_ key: String) async throws -> ObjectBody { try await base.get(key) }
    func get(_ key: String, range: Range<Int>) async throws -> ObjectBody { try await base.get(key, range: range) }
    func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String, delimiter: String?) -> ObjectListing { base.list(prefix: prefix, delimiter: delimiter) }
    func delete(_ key: String) async throws { try await base.delete(key) }
}
