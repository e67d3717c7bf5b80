import Foundation
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

private typealias H = RestoreHarness
private typealias O = RestoreObjects

/// Restores into a sandbox and checks Velero's order of creation and the namespace mapping.
struct RestoreEngineOrderingTests {
    static let gadgets = GroupVersionResource(group: "toys.example.com", version: "v1", resource: "gadgets")

    /// A backup with a CRD and its CRs, two namespaces, a retained PV and its PVC, service accounts and role bindings.
    static func orderingBackup() -> VeleroBackupBuilder {
        var backup = VeleroBackupBuilder(name: "ordering")
        backup.add(O.crd(plural: "gadgets", group: "toys.example.com", kind: "Gadget"))
        for namespace in ["shop", "depot"] {
            backup.add(O.namespace(namespace))
            backup.add(O.serviceAccount("robot", namespace))
            backup.add(O.roleBinding("robot-view", namespace, subjects: [("robot", namespace)]))
            backup.add(O.configMap("settings", namespace))
            for index in 1...3 {
                backup.add(
                    O.customResource(group: "toys.example.com", kind: "Gadget", name: "g\(index)", namespace: namespace)
                )
            }
        }
        backup.add([
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": [
                "name": "pv-keep", "uid": "old", "annotations": ["pv.kubernetes.io/bound-by-controller": "yes"],
            ],
            "spec": [
                "capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": "manual", "hostPath": ["path": "/tmp/pv-keep"],
                "claimRef": [
                    "kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data", "uid": "old-claim",
                    "resourceVersion": "7",
                ],
            ],
            "status": ["phase": "Bound"],
        ])
        backup.add([
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": [
                "name": "data", "namespace": "shop", "uid": "old-claim",
                "annotations": [
                    "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
                ],
            ],
            "spec": [
                "accessModes": ["ReadWriteOnce"], "storageClassName": "manual", "volumeName": "pv-keep",
                "resources": ["requests": ["storage": "1Gi"]],
            ],
            "status": ["phase": "Bound"],
        ])
        return backup
    }

    @Test func crdsNamespacesVolumesAndAccountsComeFirst() async throws {
        let backup = Self.orderingBackup()
        let store = try await backup.store()
        try await H.withCluster { client in
            let start = try await H.currentResourceVersion(client)
            let outcome = try await H.restore(client, store: store, backup: backup.name)
            #expect(outcome.restore.status?.phase == "Completed", "errors: \(outcome.results.errors)")
            #expect(
                !outcome.report.entries.contains { $0.action == .error },
                "\(outcome.report.entries.filter { $0.action == .error })"
            )

            let crd = try await H.creationVersions(
                client,
                .customResourceDefinitions,
                since: start,
                names: ["gadgets.toys.example.com"]
            )
            let namespaces = try await H.creationVersions(client, .namespaces, since: start, names: ["shop", "depot"])
            let gadgets = try await H.creationVersions(
                client,
                Self.gadgets,
                since: start,
                names: Set(["shop", "depot"].flatMap { ns in (1...3).map { "\(ns)/g\($0)" } })
            )
            let accounts = try await H.creationVersions(
                client,
                H.serviceAccounts,
                since: start,
                names: ["shop/robot", "depot/robot"]
            )
            let bindings = try await H.creationVersions(
                client,
                H.roleBindings,
                since: start,
                names: ["shop/robot-view", "depot/robot-view"]
            )
            let configMaps = try await H.creationVersions(
                client,
                .configMaps,
                since: start,
                names: ["shop/settings", "depot/settings"]
            )
            let pv = try await H.creationVersions(client, H.pvs, since: start, names: ["pv-keep"])
            let pvc = try await H.creationVersions(client, H.pvcs, since: start, names: ["shop/data"])

            let crdVersion = try #require(crd["gadgets.toys.example.com"])
            #expect(gadgets.values.allSatisfy { $0 > crdVersion }, "CRD at \(crdVersion), CRs at \(gadgets)")
            for (key, version) in gadgets.merging(accounts, uniquingKeysWith: max).merging(
                bindings,
                uniquingKeysWith: max
            )
            .merging(configMaps, uniquingKeysWith: max).merging(pvc, uniquingKeysWith: max) {
                let namespace = String(key.split(separator: "/")[0])
                let created = try #require(namespaces[namespace])
                #expect(created < version, "namespace \(namespace) at \(created), \(key) at \(version)")
            }
            #expect(try #require(pv["pv-keep"]) < (try #require(pvc["shop/data"])), "PV \(pv), PVC \(pvc)")
            for namespace in ["shop", "depot"] {
                let account = try #require(accounts["\(namespace)/robot"])
                let binding = try #require(bindings["\(namespace)/robot-view"])
                #expect(account < binding, "\(namespace): ServiceAccount at \(account), RoleBinding at \(binding)")
            }
            // The retained PV is restored without its old binding details: the cluster binds it to the restored
            // claim (its new UID), not to the backed-up one.
            let restoredPV = try await client.get(H.pvs, name: "pv-keep")
            let restoredClaim = try await client.get(
                GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims"),
                namespace: "shop",
                name: "data"
            )
            #expect(restoredPV["spec"]?["claimRef"]?["uid"]?.stringValue != "old-claim")
            #expect([nil, restoredClaim.uid].contains(restoredPV["spec"]?["claimRef"]?["uid"]?.stringValue))
            #expect(restoredPV.annotations["pv.kubernetes.io/bound-by-controller"] == nil)
            #expect(H.entry(outcome.report, "persistentvolumes", "pv-keep")?.action == .create)
        }
    }

    @Test func namespaceMappingMovesEveryObjectAndBindingSubjects() async throws {
        var backup = VeleroBackupBuilder(name: "mapping")
        backup.add(O.namespace("src", labels: ["team": "blue", "kubernetes.io/metadata.name": "src"]))
        backup.add(O.configMap("settings", "src"))
        backup.add(O.secret("creds", "src"))
        backup.add(O.serviceAccount("robot", "src"))
        backup.add(O.deployment("web", "src"))
        backup.add(O.service("web", "src"))
        backup.add(O.roleBinding("robot-view", "src", subjects: [("robot", "src"), ("watcher", "elsewhere")]))
        backup.add([
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": ["name": "robot-global"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"],
            "subjects": [["kind": "ServiceAccount", "name": "robot", "namespace": "src"]],
        ])
        let store = try await backup.store()
        try await H.withCluster { client in
            let outcome = try await H.restore(client, store: store, backup: backup.name) {
                $0.namespaceMapping = ["src": "dst"]
            }
            #expect(outcome.restore.status?.phase == "Completed", "errors: \(outcome.results.errors)")

            // Nothing lands in the source namespace, which is not created.
            await #expect(throws: KubeError.self) { _ = try await client.get(.namespaces, name: "src") }
            let namespace = try await client.get(.namespaces, name: "dst")
            #expect(namespace.labels["team"] == "blue")
            #expect(namespace.labels["kubernetes.io/metadata.name"] == "dst")
            for (resource, name) in [
                (GroupVersionResource.configMaps, "settings"), (.secrets, "creds"), (H.serviceAccounts, "robot"),
                (H.deployments, "web"), (H.services, "web"), (H.roleBindings, "robot-view"),
            ] {
                let object = try await client.get(resource, namespace: "dst", name: name)
                #expect(object.labels["velero.io/restore-name"] == "r1", "\(resource.resource) \(name)")
                #expect(
                    try await H.names(client, resource, namespace: "src").isEmpty,
                    "\(resource.resource) left in src"
                )
            }
            let binding = try await client.get(H.roleBindings, namespace: "dst", name: "robot-view")
            let subjects = binding["subjects"]?.arrayValue ?? []
            #expect(subjects.map { $0["namespace"]?.stringValue } == ["dst", "elsewhere"])
            let global = try await client.get(H.clusterRoleBindings, name: "robot-global")
            #expect(global["subjects"]?[0]?["namespace"] == "dst")

            // The report names the target namespace of every namespaced entry.
            let namespaced = outcome.report.entries.filter { $0.namespace != nil }
            #expect(!namespaced.isEmpty)
            #expect(namespaced.allSatisfy { $0.namespace == "src" && $0.targetNamespace == "dst" }, "\(namespaced)")
            #expect(H.entry(outcome.report, "namespaces", "dst")?.action == .create)
        }
    }
}
