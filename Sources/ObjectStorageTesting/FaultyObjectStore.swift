public import NIOCore
public import ObjectStorage
import Synchronization

/// A decorator that makes chosen calls of another store fail: fault injection for tests.
///
/// Faults are queued per operation and consumed in order by matching calls:
///
/// ```swift
/// let faulty = FaultyObjectStore(base: MemoryObjectStore())
/// faulty.addFault(.put, .init(error: ObjectStoreError(code: .unavailable, message: "503"), times: 2))
/// ```
public struct FaultyObjectStore<Base: ObjectStore>: ObjectStore {
    /// The operation a fault applies to.
    public enum Operation: Hashable, Sendable, CaseIterable {
        case put, get, head, list, delete
    }

    /// One injected failure.
    public struct Fault: Sendable {
        /// The error thrown.
        public var error: any Error
        /// How many matching calls fail.
        public var times: Int
        /// Matching calls to let through before failing.
        public var skip: Int
        /// Only calls whose key (or listing prefix) starts with this fail.
        public var keyPrefix: String
        /// For `get`: fail while streaming, after the first chunk, instead of at the call.
        public var midStream: Bool
        /// For `put`: fail after the body has been consumed (the base store is not called).
        public var afterBody: Bool

        public init(
            error: any Error,
            times: Int = 1,
            skip: Int = 0,
            keyPrefix: String = "",
            midStream: Bool = false,
            afterBody: Bool = false
        ) {
            self.error = error
            self.times = times
            self.skip = skip
            self.keyPrefix = keyPrefix
            self.midStream = midStream
            self.afterBody = afterBody
        }
    }

    private final class State: Sendable {
        let faults = Mutex<[Operation: [Fault]]>([:])
        let calls = Mutex<[Operation: Int]>([:])
    }

    public let base: Base
    private let state = State()

    public init(base: Base) {
        self.base = base
    }

    /// Queues `fault` for `operation`.
    public func addFault(_ operation: Operation, _ fault: Fault) {
        state.faults.withLock { $0[operation, default: []].append(fault) }
    }

    /// Removes every queued fault.
    public func clearFaults() {
        state.faults.withLock { $0 = [:] }
    }

    /// How many times `operation` was called (failed calls included).
    public func calls(_ operation: Operation) -> Int {
        state.calls.withLock { $0[operation, default: 0] }
    }

    /// The fault to apply to this call, if any (consumes it).
    private func fault(_ operation: Operation, key: String) -> Fault? {
        state.calls.withLock { $0[operation, default: 0] += 1 }
        return state.faults.withLock { faults -> Fault? in
            guard var queue = faults[operation],
                let index = queue.firstIndex(where: { key.hasPrefix($0.keyPrefix) })
            else { return nil }
            if queue[index].skip > 0 {
                queue[index].skip -= 1
                faults[operation] = queue
                return nil
            }
            let fault = queue[index]
            queue[index].times -= 1
            if queue[index].times <= 0 { queue.remove(at: index) }
            faults[operation] = queue
            return fault
        }
    }

    public func put(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    )
        async throws
    {
        if let fault = fault(.put, key: key) {
            if fault.afterBody { for try await _ in body {} }
            throw fault.error
        }
        try await base.put(key, body: body, length: length)
    }

    public func putIfAbsent(
        _ key: String,
        body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        length: Int?
    ) async throws -> Bool {
        if let fault = fault(.put, key: key) {
            if fault.afterBody { for try await _ in body {} }
            throw fault.error
        }
        return try await base.putIfAbsent(key, body: body, length: length)
    }

    public func downloadURL(_ key: String, validFor: Duration) async throws -> String {
        try await base.downloadURL(key, validFor: validFor)
    }

    public func get(_ key: String) async throws -> ObjectBody {
        guard let fault = fault(.get, key: key) else { return try await base.get(key) }
        guard fault.midStream else { throw fault.error }
        let body = try await base.get(key)
        var first = ByteBuffer()
        for try await chunk in body {
            first = chunk
            break
        }
        let firstChunk = first
        let sent = Mutex(false)
        return ObjectBody(length: body.length) {
            let already = sent.withLock { value -> Bool in
                defer { value = true }
                return value
            }
            if already { throw fault.error }
            return firstChunk
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        if let fault = fault(.head, key: key) { throw fault.error }
        return try await base.head(key)
    }

    public func list(prefix: String, delimiter: String?) -> ObjectListing {
        let inner = base.list(prefix: prefix, delimiter: delimiter)
        let store = self
        return ObjectListing { _ in
            // Each fetch of the (single) page consumes a fault, so a retried fetch can succeed.
            if let injected = store.fault(.list, key: prefix) { throw injected.error }
            var entries: [ObjectListEntry] = []
            for try await entry in inner { entries.append(entry) }
            return (entries, nil)
        }
    }

    public func delete(_ key: String) async throws {
        if let fault = fault(.delete, key: key) { throw fault.error }
        try await base.delete(key)
    }
}
