import Foundation
import Logging
import NIOCore
import ObjectStorage
import ObjectStorageTesting
import Testing

/// The conformance suite on the in-memory, filesystem and prefixed backends.
struct LocalConformanceTests {
    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func memory(_ check: ObjectStoreConformance.Check) async throws {
        try await ObjectStoreConformance(store: MemoryObjectStore(pageSize: 100)).run(check)
    }

    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func filesystem(_ check: ObjectStoreConformance.Check) async throws {
        try await withTemporaryFolder { folder in
            // fsync is exercised by FilesystemObjectStoreTests; here it would only slow 1,000+ writes down.
            let store = try FilesystemObjectStore(
                root: folder,
                configuration: .init(readChunkSize: 64 * 1024, sync: false)
            )
            try await ObjectStoreConformance(store: store).run(check)
            // Nothing but the (empty) root is left: no temporary files, no empty folders.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        }
    }

    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func prefixedMemory(_ check: ObjectStoreConformance.Check) async throws {
        let base = MemoryObjectStore()
        try await base.putData("outside", bytes: [1])
        let store = try PrefixedObjectStore(base: base, prefix: "/velero/restic/ns1/")
        try await ObjectStoreConformance(store: store).run(check)
        #expect(try await base.listAll(prefix: "").map(\.key) == ["outside"])
    }

    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func retryingOverFaultyMemory(_ check: ObjectStoreConformance.Check) async throws {
        let faulty = FaultyObjectStore(base: MemoryObjectStore())
        let unavailable = ObjectStoreError(code: .unavailable, message: "injected 503 SlowDown")
        for operation in FaultyObjectStore<MemoryObjectStore>.Operation.allCases {
            faulty.addFault(operation, .init(error: unavailable, times: 2))
        }
        let policy = RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(2))
        let store = RetryingObjectStore(
            base: faulty,
            configuration: .init(policy: policy),
            logger: .init(label: "test")
        )
        try await ObjectStoreConformance(store: store).run(check)
    }
}

/// Runs `body` with a fresh temporary folder, removed afterwards.
func withTemporaryFolder<T>(_ body: (String) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-os-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url.path)
}
