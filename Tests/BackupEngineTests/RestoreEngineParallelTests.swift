import Foundation
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

private typealias H = RestoreHarness
private typealias O = RestoreObjects

/// A parallel restore ends like a sequential one; a dry run predicts exactly what the restore does.
struct RestoreEngineParallelTests {
    /// Several hundred objects of several kinds over a few namespaces, with a CRD and its CRs.
    static func mixedBackup(name: String) -> VeleroBackupBuilder {
        var backup = VeleroBackupBuilder(name: name)
        backup.add(O.crd(plural: "gadgets", group: "toys.example.com", kind: "Gadget"))
        for n in 0..<4 {
            let namespace = "mixed-\(n)"
            backup.add(O.namespace(namespace, labels: ["index": .string("\(n)")]))
            backup.add(O.serviceAccount("default", namespace))
            for i in 0..<40 {
                backup.add(O.configMap("cm-\(i)", namespace, data: ["i": .string("\(i)"), "n": .string(namespace)]))
            }
            for i in 0..<10 { backup.add(O.secret("secret-\(i)", namespace)) }
            for i in 0..<5 {
                backup.add(O.serviceAccount("sa-\(i)", namespace))
                backup.add(O.roleBinding("rb-\(i)", namespace, subjects: [("sa-\(i)", namespace)]))
                backup.add(O.role("role-\(i)", namespace))
                backup.add(O.service("svc-\(i)", namespace))
                backup.add(O.deployment("deploy-\(i)", namespace))
                backup.add(
                    O.customResource(group: "toys.example.com", kind: "Gadget", name: "g-\(i)", namespace: namespace)
                )
            }
        }
        return backup
    }

    static let compared: [GroupVersionResource] = [
        .namespaces, .configMaps, .secrets, H.serviceAccounts, H.roleBindings, H.roles, H.services, H.deployments,
        RestoreEngineOrderingTests.gadgets,
    ]

    static func restoreAndRead(
        parallelism: Int
    ) async throws -> (keys: [RestoreHarness.EntryKey], objects: [String: [String: JSONValue]], phase: String?) {
        let backup = mixedBackup(name: "mixed")
        let store = try await backup.store()
        var result: (keys: [RestoreHarness.EntryKey], objects: [String: [String: JSONValue]], phase: String?) = (
            [], [:], nil
        )
        try await H.withCluster { client in
            let outcome = try await H.restore(client, store: store, backup: backup.name, parallelism: parallelism)
            result.keys = H.keys(outcome.report)
            result.phase = outcome.restore.status?.phase
            for resource in compared {
                var objects = try await H.normalized(client, resource)
                // The cluster's own objects (not from the backup) are left out.
                objects = objects.filter {
                    resource == .namespaces
                        ? $0.key.hasPrefix("mixed-")
                        : $0.value[path: ["metadata", "labels", "velero.io/restore-name"]] != nil
                }
                result.objects[resource.resource] = objects
            }
        }
        return result
    }

    @Test func parallelRestoreEqualsSequentialRestore() async throws {
        async let sequential = Self.restoreAndRead(parallelism: 1)
        async let parallel = Self.restoreAndRead(parallelism: 16)
        let (one, sixteen) = try await (sequential, parallel)
        #expect(one.phase == "Completed")
        #expect(sixteen.phase == "Completed")
        #expect(one.keys.count > 300)
        #expect(one.keys == sixteen.keys)
        for resource in Self.compared.map(\.resource) {
            let a = one.objects[resource] ?? [:]
            let b = sixteen.objects[resource] ?? [:]
            #expect(!a.isEmpty, "no \(resource) restored")
            #expect(Set(a.keys) == Set(b.keys), "\(resource): \(Set(a.keys).symmetricDifference(b.keys).sorted())")
            let different = a.keys.filter { a[$0] != b[$0] }.sorted()
            #expect(
                different.isEmpty,
                "\(resource) differ: \(different.prefix(3)) e.g. \(different.first.map { "\(a[$0]?.jsonString ?? "") vs \(b[$0]?.jsonString ?? "")" } ?? "")"
            )
        }
    }

    /// Backup: namespaces `kept` (exists in the cluster) and `fresh` (missing), objects that exist identical,
    /// exist different, or are missing; a cluster-scoped ClusterRole.
    static func dryRunBackup(live: [JSONValue]) -> VeleroBackupBuilder {
        var backup = VeleroBackupBuilder(name: "preview")
        for object in live { backup.add(object) }
        backup.add(O.namespace("fresh", labels: ["team": "b"]))
        backup.add(O.configMap("missing", "kept"))
        backup.add(O.secret("creds", "kept"))
        backup.add(O.serviceAccount("robot", "kept"))
        backup.add(O.deployment("web", "kept"))
        backup.add(O.configMap("settings", "fresh"))
        backup.add(O.serviceAccount("robot", "fresh"))
        // Every backup of a namespace holds its `default` ServiceAccount, which the cluster creates with the namespace.
        backup.add(O.serviceAccount("default", "fresh"))
        backup.add(O.serviceAccount("default", "kept"))
        backup.add(O.roleBinding("robot-view", "fresh", subjects: [("robot", "fresh")]))
        backup.add(O.deployment("web", "fresh"))
        // A CRD the cluster does not have yet, and its CRs in both namespaces.
        backup.add(O.crd(plural: "gadgets", group: "toys.example.com", kind: "Gadget"))
        backup.add(O.customResource(group: "toys.example.com", kind: "Gadget", name: "g1", namespace: "fresh"))
        backup.add(O.customResource(group: "toys.example.com", kind: "Gadget", name: "g1", namespace: "kept"))
        backup.add([
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": ["name": "reader"],
            "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]]],
        ])
        backup.add([
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "done", "namespace": "kept"],
            "spec": [
                "template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox"]]]]
            ],
            "status": ["succeeded": 1, "completionTime": "2025-01-01T00:00:00Z"],
        ])
        return backup
    }

    static let previewed: [GroupVersionResource] = [
        .namespaces, .configMaps, .secrets, H.serviceAccounts, H.roleBindings, H.deployments, H.clusterRoles,
    ]

    @Test(arguments: ["none", "update"])
    func dryRunPredictsTheRestoreExactly(policy: String) async throws {
        try await H.withCluster { client in
            // The backup is made from the live objects (as a backup of this cluster would be), then `changed` differs.
            var namespace = KubeObject(apiVersion: "v1", kind: "Namespace", name: "kept")
            namespace.labels = ["team": "a"]
            var live = [try await client.create(.namespaces, namespace).value]
            for (name, value) in [("same", "v"), ("changed", "live")] {
                var configMap = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "kept", name: name)
                configMap.labels = ["app": "web"]
                configMap["data"] = ["k": .string(value)]
                var object = try await client.create(.configMaps, configMap).value
                if name == "changed" { object["data"] = ["k": "backed-up"] }
                live.append(object)
            }
            let backup = Self.dryRunBackup(live: live)
            let store = try await backup.store()
            try await client.waitForDefaultServiceAccount(in: "kept")
            var snapshot: [String: [String: JSONValue]] = [:]
            for resource in Self.previewed { snapshot[resource.resource] = try await H.normalized(client, resource) }

            let plan = try await H.restore(client, store: store, backup: backup.name, name: "r1", dryRun: true) {
                $0.existingResourcePolicy = policy
            }
            #expect(plan.report.dryRun)
            for resource in Self.previewed {
                #expect(
                    try await H.normalized(client, resource) == snapshot[resource.resource] ?? [:],
                    "the dry run changed \(resource.resource)"
                )
            }
            #expect(try await H.names(client, H.clusterRoles).contains("reader") == false)

            let real = try await H.restore(client, store: store, backup: backup.name, name: "r1") {
                $0.existingResourcePolicy = policy
            }
            #expect(real.restore.status?.phase == "Completed", "errors: \(real.results.errors)")
            let predicted = H.keys(plan.report)
            let happened = H.keys(real.report)
            #expect(
                predicted == happened,
                """
                predicted only: \(Set(predicted).subtracting(happened).sorted())
                happened only: \(Set(happened).subtracting(predicted).sorted())
                """
            )
            #expect(
                H.entry(real.report, "configmaps", "changed", namespace: "kept")?.action
                    == (policy == "none" ? .conflict : .update)
            )
            #expect(H.entry(real.report, "configmaps", "same", namespace: "kept")?.action == .skip)
            #expect(H.entry(real.report, "namespaces", "fresh")?.action == .create)
            #expect(H.entry(real.report, "jobs.batch", "done", namespace: "kept")?.action == .excluded)
        }
    }
}
