import NIOCore
import ObjectStorage
import Synchronization

/// A decorator that holds every write of a `velero-backup.json` until `parties` writers have arrived (or
/// `timeout` passed), so two concurrent runs of the same backup reach the final write together.
struct MetadataBarrierStore<Base: ObjectStore>: ObjectStore {
    private final class State: Sendable {
        let arrived = Mutex(0)
    }

    let base: Base
    let parties: Int
    let timeout: Duration
    private let state = State()

    init(base: Base, parties: Int = 2, timeout: Duration = .seconds(5)) {
        self.base = base
        self.parties = parties
        self.timeout = timeout
    }

    private func arriveAndWait(_ key: String) async throws {
        guard key.hasSuffix("/velero-backup.json") else { return }
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

    func putIfAbsent(_ key: String, body: some AsyncSequence<ByteBuffer, any Error> & Sendable, length: Int?) async throws -> Bool {
        try await arriveAndWait(key)
        return try await base.putIfAbsent(key, body: body, length: length)
    }

    func get(_ key: String) async throws -> ObjectBody { try await base.get(key) }
    func get(_ key: String, range: Range<Int>) async throws -> ObjectBody { try await base.get(key, range: range) }
    func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String, delimiter: String?) -> ObjectListing { base.list(prefix: prefix, delimiter: delimiter) }
    func delete(_ key: String) async throws { try await base.delete(key) }
}
