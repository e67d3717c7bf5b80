import ObjectStorage
import ObjectStorageTesting
import Testing

/// The test decorators of this target pass the `ObjectStore` conformance suite when idle: whatever they add
/// (invariant checks, a barrier for backup metadata), they keep the store's contract for everything else.
struct DecoratorStoreConformanceTests {
    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func invariantCheckingStore(_ check: ObjectStoreConformance.Check) async throws {
        let store = InvariantCheckingStore(base: MemoryObjectStore())
        try await ObjectStoreConformance(store: store).run(check)
        #expect(store.violations.isEmpty)
    }

    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func metadataBarrierStore(_ check: ObjectStoreConformance.Check) async throws {
        try await ObjectStoreConformance(store: MetadataBarrierStore(base: MemoryObjectStore())).run(check)
    }
}
