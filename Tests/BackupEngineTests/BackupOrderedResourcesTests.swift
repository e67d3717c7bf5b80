import Foundation
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

/// `--ordered-resources` and the plain statement that volume data is not backed up yet.
struct BackupOrderedResourcesTests {
    @Test func orderedItemsComeFirstInTheGivenOrderAndUnknownTypesAreRejected() async throws {
        try await withSandbox { _, client in
            try await client.createNamespaceAndWait("ord")
            for name in ["a", "b", "c", "d"] {
                var configMap = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "ord", name: name)
                configMap["data"] = ["k": "v"]
                _ = try await client.create(.configMaps, configMap)
            }
            var spec = BackupSpec()
            spec.includedNamespaces = ["ord"]
            spec.orderedResources = ["configmaps": "ord/d,ord/b"]
            let (backup, archive) = try await BackupTestCluster.backUp(client, spec: spec)
            let order = archive.entries.map(\.name).filter { $0.hasPrefix("resources/configmaps/namespaces/ord/") }
                .map { String($0.dropFirst("resources/configmaps/namespaces/ord/".count).dropLast(5)) }
            #expect(Array(order.prefix(2)) == ["d", "b"])
            #expect(Set(order) == ["a", "b", "c", "d"])
            #expect(backup.status?.phase == BackupPhase.completed)

            var bad = BackupSpec()
            bad.orderedResources = ["no-such-things": "x"]
            await #expect(throws: BackupEngineError.self) { _ = try await BackupTestCluster.backUp(client, spec: bad) }
        }
    }

    @Test func volumeFlagsAreRecordedAndTheResultsSayVolumeDataWasNotBackedUp() async throws {
        try await withSandbox { _, client in
            try await client.createNamespaceAndWait("vol")
            var spec = BackupSpec()
            spec.includedNamespaces = ["vol"]
            spec.snapshotVolumes = true
            let store = BackupStore(store: MemoryObjectStore(), prefix: nil)
            let (backup, _) = try await BackupTestCluster.backUp(client, spec: spec, name: "vol", store: store)
            #expect(backup.spec.snapshotVolumes == true)
            #expect(backup.status?.phase == BackupPhase.completed)
            let results = try #require(try await store.backupResults(of: "vol"))
            #expect(results.warnings.velero?.contains { $0.contains("volume data was not backed up") } == true)
        }
    }
}
