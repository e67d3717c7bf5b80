import Foundation
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

private typealias H = RestoreHarness
private typealias O = RestoreObjects

/// Restores backups built from Velero's layout facts alone (velero.md §4–§5), and bad input.
struct VeleroFixtureTests {
    static let gadgets = RestoreEngineOrderingTests.gadgets

    /// A backup as Velero writes it: `metadata/version`, legacy paths plus `-preferredversion` copies,
    /// cluster-scoped items, a CRD with its CRs; tarred by the system tar.
    static func veleroBackup() -> VeleroBackupBuilder {
        var backup = VeleroBackupBuilder(name: "velero-nightly")
        backup.add(O.namespace("legacy-app", labels: ["kubernetes.io/metadata.name": "legacy-app", "team": "ops"]))
        backup.add(O.crd(plural: "gadgets", group: "toys.example.com", kind: "Gadget"))
        backup.add(O.customResource(group: "toys.example.com", kind: "Gadget", name: "g1", namespace: "legacy-app"))
        backup.add(O.customResource(group: "toys.example.com", kind: "Gadget", name: "g2", namespace: "legacy-app"))
        backup.add(O.configMap("settings", "legacy-app"))
        backup.add(O.deployment("web", "legacy-app"))
        backup.add(O.serviceAccount("robot", "legacy-app"))
        backup.add([
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": ["name": "legacy-reader", "uid": "x"],
            "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]]],
        ])
        // The legacy copy wins over the preferred-version copy when both exist.
        let legacy = O.configMap("which-copy", "legacy-app", data: ["copy": "legacy"])
        let preferred = O.configMap("which-copy", "legacy-app", data: ["copy": "preferred"])
        backup.addRaw(legacy.encoded(), object: legacy, copies: .legacyOnly)
        backup.addRaw(preferred.encoded(), object: preferred, copies: .preferredOnly)
        return backup
    }

    @Test func restoresABackupLaidOutLikeVelero() async throws {
        let backup = Self.veleroBackup()
        var entries: [(path: String, bytes: [UInt8])] = [("metadata/version", Array("1.1.0\n".utf8))]
        entries += backup.entries
        let store = try await backup.store(tarball: try await SystemTarball.make(entries))
        #expect(try await store.backup(named: backup.name)?.status?.phase == "Completed")
        try await H.withCluster { client in
            let outcome = try await H.restore(client, store: store, backup: backup.name)
            #expect(outcome.restore.status?.phase == "Completed", "errors: \(outcome.results.errors)")
            #expect(try await client.get(.namespaces, name: "legacy-app").labels["team"] == "ops")
            #expect(try await H.names(client, Self.gadgets) == ["legacy-app/g1", "legacy-app/g2"])
            #expect(try await H.names(client, H.clusterRoles).contains("legacy-reader"))
            #expect(try await client.get(H.deployments, namespace: "legacy-app", name: "web")["spec"]?["replicas"] == 2)
            #expect(
                try await client.get(.configMaps, namespace: "legacy-app", name: "which-copy")["data"] == [
                    "copy": "legacy"
                ]
            )
            // Each item is restored once although the tarball holds two copies.
            let created = outcome.report.entries.filter { $0.action == .create }
            #expect(Set(created.map { "\($0.groupResource)/\($0.displayName)" }).count == created.count)
            #expect(created.count == 9, "\(H.keys(outcome.report))")
            // The records are written where Velero writes them.
            for key in ["restore-r1-results.gz", "restore-r1-resource-list.json.gz", "restore-r1-logs.gz"] {
                #expect(try await store.store.exists("restores/r1/\(key)"), "restores/r1/\(key)")
            }
        }
    }

    @Test func restoresABackupWithOnlyPreferredVersionCopies() async throws {
        var backup = VeleroBackupBuilder(name: "preferred-only")
        backup.add(O.namespace("pv-only"), copies: .preferredOnly)
        backup.add(O.configMap("settings", "pv-only"), copies: .preferredOnly)
        backup.add(O.deployment("web", "pv-only"), copies: .preferredOnly)
        backup.add(
            [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": ["name": "pv-reader"],
                "rules": [],
            ],
            copies: .preferredOnly
        )
        let store = try await backup.store()
        try await H.withCluster { client in
            let outcome = try await H.restore(client, store: store, backup: backup.name)
            #expect(outcome.restore.status?.phase == "Completed", "errors: \(outcome.results.errors)")
            #expect(try await client.get(.configMaps, namespace: "pv-only", name: "settings")["data"] == ["k": "v"])
            #expect(try await H.names(client, H.deployments) == ["pv-only/web"])
            #expect(try await H.names(client, H.clusterRoles).contains("pv-reader"))
        }
    }

    @Test func aBackupWithoutResourcesRestoresZeroItems() async throws {
        let backup = VeleroBackupBuilder(name: "empty")
        let store = try await backup.store()
        try await H.withCluster { client in
            let namespaces = try await H.names(client, .namespaces)
            let outcome = try await H.restore(client, store: store, backup: backup.name)
            #expect(outcome.restore.status?.phase == "Completed")
            #expect(outcome.report.entries.isEmpty)
            #expect(outcome.restore.status?.progress?.totalItems == 0)
            #expect(try await H.names(client, .namespaces) == namespaces)
        }
    }

    // MARK: - bad input

    /// Runs a restore that must fail before touching the cluster; returns its error.
    static func expectFailsBeforeTouchingCluster(
        store: BackupStore,
        backup: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ edit: @escaping (inout RestoreSpec) -> Void = { _ in }
    ) async throws -> BackupEngineError? {
        var failure: BackupEngineError?
        try await H.withCluster { client in
            let namespaces = try await H.names(client, .namespaces)
            let configMaps = try await H.names(client, .configMaps)
            failure = await #expect(throws: BackupEngineError.self, sourceLocation: sourceLocation) {
                _ = try await H.restore(client, store: store, backup: backup, edit)
            }
            #expect(try await H.names(client, .namespaces) == namespaces, sourceLocation: sourceLocation)
            #expect(try await H.names(client, .configMaps) == configMaps, sourceLocation: sourceLocation)
        }
        return failure
    }

    static func smallBackup(name: String) -> VeleroBackupBuilder {
        var backup = VeleroBackupBuilder(name: name)
        backup.add(O.namespace("bad"))
        for i in 0..<40 {
            backup.add(
                O.configMap("cm-\(i)", "bad", data: ["payload": .string(String(repeating: "x\(i)", count: 200))])
            )
        }
        return backup
    }

    @Test func missingBackupIsAClearError() async throws {
        let error = try await Self.expectFailsBeforeTouchingCluster(
            store: BackupStore(store: MemoryObjectStore(), prefix: nil),
            backup: "nope"
        )
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("nope") == true, "\(error?.message ?? "")")
    }

    @Test func corruptGzipIsAClearError() async throws {
        let backup = Self.smallBackup(name: "corrupt")
        var bytes = try backup.tarball()
        for index in stride(from: bytes.count / 3, to: bytes.count / 3 + 64, by: 1) { bytes[index] ^= 0x5A }
        let store = try await backup.store(tarball: bytes)
        let error = try await Self.expectFailsBeforeTouchingCluster(store: store, backup: backup.name)
        #expect(error?.code == .corruptBackup)
        #expect(error?.message.contains("corrupt.tar.gz") == true, "\(error?.message ?? "")")
    }

    @Test func notGzipAtAllIsAClearError() async throws {
        let backup = Self.smallBackup(name: "plain")
        let store = try await backup.store(tarball: try backup.tar())
        let error = try await Self.expectFailsBeforeTouchingCluster(store: store, backup: backup.name)
        #expect(error?.code == .corruptBackup)
    }

    @Test func truncatedGzipStreamIsAClearError() async throws {
        let backup = Self.smallBackup(name: "cut")
        let bytes = try backup.tarball()
        let store = try await backup.store(tarball: Array(bytes.prefix(bytes.count / 2)))
        let error = try await Self.expectFailsBeforeTouchingCluster(store: store, backup: backup.name)
        #expect(error?.code == .corruptBackup)
        #expect(error?.message.contains("truncated") == true, "\(error?.message ?? "")")
    }

    @Test func truncatedTarInsideCompleteGzipIsAClearError() async throws {
        let backup = Self.smallBackup(name: "short")
        let tar = try backup.tar()
        // Cut in the middle of an entry's data (past the first header), then gzip properly.
        let store = try await backup.store(tarball: try GzipCompressor.compress(Array(tar.prefix(tar.count / 2 + 100))))
        let error = try await Self.expectFailsBeforeTouchingCluster(store: store, backup: backup.name)
        #expect(error?.code == .corruptBackup)
    }

    @Test func malformedNamespaceMappingIsAClearError() async throws {
        let backup = Self.smallBackup(name: "mapped")
        let store = try await backup.store()
        let error = try await Self.expectFailsBeforeTouchingCluster(store: store, backup: backup.name) {
            $0.namespaceMapping = ["bad": "Not_A_Namespace"]
        }
        #expect(error?.code == .invalidSpec)
        #expect(error?.message.contains("Not_A_Namespace") == true, "\(error?.message ?? "")")
    }

    @Test func failedBackupIsNotRestored() async throws {
        var backup = Self.smallBackup(name: "failed")
        backup.phase = "Failed"
        let store = try await backup.store()
        let error = try await Self.expectFailsBeforeTouchingCluster(store: store, backup: backup.name)
        #expect(error?.message.contains("Failed") == true, "\(error?.message ?? "")")
    }

    @Test func customResourceWithoutItsCRDIsAnItemError() async throws {
        var backup = VeleroBackupBuilder(name: "orphan")
        backup.add(O.namespace("orphans"))
        backup.add(O.configMap("settings", "orphans"))
        backup.add(O.customResource(group: "nowhere.example.com", kind: "Gizmo", name: "lost", namespace: "orphans"))
        backup.add(O.serviceAccount("robot", "orphans"))
        let store = try await backup.store()
        try await H.withCluster { client in
            let outcome = try await H.restore(client, store: store, backup: backup.name)
            #expect(outcome.restore.status?.phase == "PartiallyFailed")
            let entry = try #require(
                H.entry(outcome.report, "gizmos.nowhere.example.com", "lost", namespace: "orphans")
            )
            #expect(entry.action == .error)
            #expect(entry.reason?.contains("CustomResourceDefinition") == true, "\(entry.reason ?? "")")
            #expect(outcome.results.errors.count == 1, "\(outcome.results.errors)")
            #expect(try await client.get(.configMaps, namespace: "orphans", name: "settings")["data"] == ["k": "v"])
            #expect(try await H.names(client, H.serviceAccounts, namespace: "orphans").contains("orphans/robot"))
        }
    }
}
