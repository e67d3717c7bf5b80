import ObjectStorage
import ObjectStorageTesting
import Testing

/// The test decorators of this target pass the `ObjectStore` conformance suite: whatever they add (invariant
/// checks, a barrier for backup metadata), they keep the store's contract. (The suite writes keys such as
/// `backups/b1/velero-backup.json` without tarballs, which the invariant checker records as violations: that is
/// its job, so they are not checked here.)
struct DecoratorStoreConformanceTests {
    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func invariantCheckingStore(_ check: ObjectStoreConformance.Check) async throws {
        try await ObjectStoreConformance(store: InvariantCheckingStore(base: MemoryObjectStore())).run(check)
    }

    @Test(arguments: ObjectStoreConformance.Check.allCases)
    func metadataBarrierStore(_ check: ObjectStoreConformance.Check) async throws {
        // One party: a metadata write passes the barrier at once.
        let store = MetadataBarrierStore(base: MemoryObjectStore(), parties: 1)
        try await ObjectStoreConformance(store: store).run(check)
    }
}
