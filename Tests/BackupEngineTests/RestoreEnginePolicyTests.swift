import Foundation
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

private typealias H = RestoreHarness
private typealias O = RestoreObjects

/// Existing-resource policies, status restore and the resource-modifiers ConfigMap, end to end.
struct RestoreEnginePolicyTests {
    /// Cluster: namespace `app` with ConfigMaps `same` and `changed`. Backup (made from the live objects, as a
    /// backup of this cluster would be): `same` unchanged, `changed` with other data, and a missing `new`.
    static func populateAndBackUp(_ client: KubeClient) async throws -> VeleroBackupBuilder {
        _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "app"))
        var backup = VeleroBackupBuilder(name: "policy")
        backup.add(try await client.get(.namespaces, name: "app").value)
        for (name, value) in [("same", "v"), ("changed", "live")] {
            var configMap = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "app", name: name)
            configMap.labels = ["app": "web"]
            configMap["data"] = ["k": .string(value)]
            var live = try await client.create(.configMaps, configMap).value
            if name == "changed" { live["data"] = ["k": "backed-up"] }
            backup.add(live)
        }
        backup.add(O.configMap("new", "app", data: ["k": "v"]))
        return backup
    }

    @Test(arguments: ["none", nil])
    func policyNoneWarnsAndLeavesExistingObjectsAlone(policy: String?) async throws {
        try await H.withCluster { client in
            let backup = try await Self.populateAndBackUp(client)
            let store = try await backup.store()
            let before = try await client.get(.configMaps, namespace: "app", name: "changed")
            let outcome = try await H.restore(client, store: store, backup: backup.name) {
                $0.existingResourcePolicy = policy
            }
            #expect(outcome.restore.status?.phase == "Completed")
            #expect(H.entry(outcome.report, "configmaps", "same", namespace: "app")?.action == .skip)
            #expect(H.entry(outcome.report, "configmaps", "changed", namespace: "app")?.action == .conflict)
            #expect(H.entry(outcome.report, "configmaps", "new", namespace: "app")?.action == .create)
            #expect(H.entry(outcome.report, "namespaces", "app")?.action == .skip)
            let warnings = outcome.results.warnings.namespaces?["app"] ?? []
            #expect(
                warnings.contains { $0.contains("already exists") && $0.contains("changed") },
                "\(outcome.results.warnings)"
            )
            let after = try await client.get(.configMaps, namespace: "app", name: "changed")
            #expect(after["data"] == ["k": "live"])
            #expect(after.resourceVersion == before.resourceVersion, "the conflicting object was written")
        }
    }

    /// Velero patches a created object's managed fields back to the backed-up ones; without that the API server
    /// records the restore as every field's manager and a second restore of the same backup finds every object
    /// different (seen on a real kube-apiserver).
    @Test func restoredObjectsGetTheirManagedFieldsBackSoASecondRestoreFindsThemIdentical() async throws {
        try await H.withCluster { client in
            _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "app"))
            var configMap = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "app", name: "settings")
            configMap["data"] = ["k": "v"]
            _ = try await client.create(.configMaps, configMap, options: WriteOptions(fieldManager: "helm"))
            var backup = VeleroBackupBuilder(name: "managed")
            let live = try await client.get(.configMaps, namespace: "app", name: "settings").value
            let backedUpManagers = (live["metadata"]?["managedFields"]?.arrayValue ?? []).compactMap {
                $0["manager"]?.stringValue
            }
            #expect(backedUpManagers == ["helm"])
            backup.add(live)
            let store = try await backup.store()
            try await client.delete(.configMaps, namespace: "app", name: "settings")

            let first = try await H.restore(client, store: store, backup: backup.name, name: "r1")
            #expect(H.entry(first.report, "configmaps", "settings", namespace: "app")?.action == .create)
            let restored = try await client.get(.configMaps, namespace: "app", name: "settings").value
            let managers = (restored["metadata"]?["managedFields"]?.arrayValue ?? []).compactMap {
                $0["manager"]?.stringValue
            }
            #expect(managers == ["helm"], "\(String(describing: restored["metadata"]?["managedFields"]))")

            let second = try await H.restore(client, store: store, backup: backup.name, name: "r2")
            #expect(H.entry(second.report, "configmaps", "settings", namespace: "app")?.action == .skip)
            #expect(second.results.warnings.namespaces?["app"] == nil, "\(second.results.warnings)")
        }
    }

    /// Velero never restores its non-restorable resources (a real API server rejects backed-up Events: they lack
    /// eventTime and reportingController), and a restore that asks for them fails validation.
    @Test func nonRestorableResourcesAreNeverRestored() async throws {
        try await H.withCluster { client in
            var backup = try await Self.populateAndBackUp(client)
            let event: JSONValue = [
                "apiVersion": "v1", "kind": "Event",
                "metadata": ["name": "web.1", "namespace": "app"],
                "involvedObject": ["kind": "Pod", "name": "web", "namespace": "app"], "reason": "Started",
            ]
            backup.add(event)
            backup.add(["apiVersion": "v1", "kind": "Node", "metadata": ["name": "old-node"]])
            let store = try await backup.store()
            let outcome = try await H.restore(client, store: store, backup: backup.name) {
                $0.includeClusterResources = true
            }
            #expect(outcome.restore.status?.phase == "Completed", "\(outcome.results.errors)")
            let restoredEvent = H.entry(outcome.report, "events", "web.1", namespace: "app")
            #expect(restoredEvent?.action == .excluded)
            #expect(restoredEvent?.reason == "events are non-restorable resources (never restored, as in Velero)")
            #expect(H.entry(outcome.report, "nodes", "old-node")?.action == .excluded)
            #expect(
                try await client.list(
                    GroupVersionResource(group: "", version: "v1", resource: "events"),
                    namespace: "app"
                ).items.isEmpty
            )
            #expect(H.entry(outcome.report, "configmaps", "new", namespace: "app")?.action == .create)
            await #expect(throws: BackupEngineError.self) {
                try await H.restore(client, store: store, backup: backup.name, name: "r2") {
                    $0.includedResources = ["configmaps", "events"]
                }
            }
            do {
                _ = try await H.restore(client, store: store, backup: backup.name, name: "r3") {
                    $0.includedResources = ["events"]
                }
            } catch let error as BackupEngineError {
                #expect(error.message.contains("events are non-restorable resources"), "\(error)")
            }
        }
    }

    @Test func policyUpdatePatchesDifferentObjects() async throws {
        try await H.withCluster { client in
            let backup = try await Self.populateAndBackUp(client)
            let store = try await backup.store()
            let outcome = try await H.restore(client, store: store, backup: backup.name) {
                $0.existingResourcePolicy = "update"
            }
            #expect(outcome.restore.status?.phase == "Completed")
            let changed = try #require(H.entry(outcome.report, "configmaps", "changed", namespace: "app"))
            #expect(changed.action == .update)
            #expect(
                changed.changes?.contains { $0.path == "/data/k" && $0.from == "live" && $0.to == "backed-up" } == true,
                "\(changed.changes ?? [])"
            )
            #expect(H.entry(outcome.report, "configmaps", "same", namespace: "app")?.action == .skip)
            let after = try await client.get(.configMaps, namespace: "app", name: "changed")
            #expect(after["data"] == ["k": "backed-up"])
            #expect(after.labels["velero.io/restore-name"] == "r1")
            // With update, an identical object gets the restore labels only.
            let same = try await client.get(.configMaps, namespace: "app", name: "same")
            #expect(same["data"] == ["k": "v"])
            #expect(same.labels["velero.io/backup-name"] == backup.name)
        }
    }

    @Test func statusIsRestoredForIncludedResourcesAndAnnotatedObjects() async throws {
        var backup = VeleroBackupBuilder(name: "status")
        backup.add(O.namespace("lab"))
        backup.add(O.crd(plural: "gadgets", group: "toys.example.com", kind: "Gadget"))
        backup.add(O.crd(plural: "widgets", group: "toys.example.com", kind: "Widget"))
        let status: JSONValue = ["phase": "Ready", "observed": 5]
        backup.add(
            O.customResource(
                group: "toys.example.com",
                kind: "Gadget",
                name: "included",
                namespace: "lab",
                status: status
            )
        )
        backup.add(
            O.customResource(
                group: "toys.example.com",
                kind: "Gadget",
                name: "opted-out",
                namespace: "lab",
                annotations: ["velero.io/restore-status": "false"],
                status: status
            )
        )
        backup.add(
            O.customResource(
                group: "toys.example.com",
                kind: "Widget",
                name: "opted-in",
                namespace: "lab",
                annotations: ["velero.io/restore-status": "true"],
                status: status
            )
        )
        backup.add(
            O.customResource(group: "toys.example.com", kind: "Widget", name: "plain", namespace: "lab", status: status)
        )
        let store = try await backup.store()
        try await H.withCluster { client in
            let outcome = try await H.restore(client, store: store, backup: backup.name) {
                $0.restoreStatus = RestoreSpec.RestoreStatusSpec(includedResources: ["gadgets.toys.example.com"])
            }
            #expect(outcome.restore.status?.phase == "Completed", "errors: \(outcome.results.errors)")
            #expect(outcome.results.warnings.isEmpty, "\(outcome.results.warnings)")
            let gadgets = GroupVersionResource(group: "toys.example.com", version: "v1", resource: "gadgets")
            let widgets = GroupVersionResource(group: "toys.example.com", version: "v1", resource: "widgets")
            #expect(try await client.get(gadgets, namespace: "lab", name: "included").status == status)
            #expect(try await client.get(gadgets, namespace: "lab", name: "opted-out").status == nil)
            #expect(try await client.get(widgets, namespace: "lab", name: "opted-in").status == status)
            #expect(try await client.get(widgets, namespace: "lab", name: "plain").status == nil)
        }
    }

    static let modifierRules = """
        version: v1
        resourceModifierRules:
        - conditions:
            groupResource: configmaps
            resourceNameRegex: "^json-.*"
            namespaces: [mods]
          patches:
          - operation: replace
            path: "/data/k"
            value: "json-patched"
        - conditions:
            groupResource: configmaps
            resourceNameRegex: "^merge-.*"
          mergePatches:
          - patchData: |
              {"data": {"extra": "merged"}, "metadata": {"labels": {"patched": "merge"}}}
        - conditions:
            groupResource: deployments.apps
            labelSelector:
              matchLabels: {app: web}
          strategicPatches:
          - patchData: |
              {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.29"}]}}}}
        """

    static func modifierBackup() -> VeleroBackupBuilder {
        var backup = VeleroBackupBuilder(name: "mods")
        backup.add(O.namespace("mods"))
        backup.add(O.configMap("json-one", "mods"))
        backup.add(O.configMap("merge-one", "mods"))
        backup.add(O.configMap("untouched", "mods"))
        var deployment = O.deployment("web", "mods")
        deployment[path: ["spec", "template", "spec", "containers"]] = [
            ["name": "main", "image": "nginx:1.27"], ["name": "sidecar", "image": "busybox:1.36"],
        ]
        backup.add(deployment)
        return backup
    }

    static func createModifiers(_ client: KubeClient, data: JSONValue) async throws {
        _ = try await client.create(.namespaces, KubeObject(apiVersion: "v1", kind: "Namespace", name: "velero"))
        var configMap = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "velero", name: "restore-mods")
        configMap["data"] = data
        _ = try await client.create(.configMaps, configMap)
    }

    @Test func resourceModifiersApplyJSONMergeAndStrategicPatches() async throws {
        let backup = Self.modifierBackup()
        let store = try await backup.store()
        try await H.withCluster { client in
            try await Self.createModifiers(client, data: ["rules.yaml": .string(Self.modifierRules)])
            let outcome = try await H.restore(client, store: store, backup: backup.name) {
                $0.resourceModifier = TypedLocalObjectReference(kind: "ConfigMap", name: "restore-mods")
            }
            #expect(outcome.restore.status?.phase == "Completed", "errors: \(outcome.results.errors)")
            let json = try await client.get(.configMaps, namespace: "mods", name: "json-one")
            #expect(json["data"] == ["k": "json-patched"])
            let merge = try await client.get(.configMaps, namespace: "mods", name: "merge-one")
            #expect(merge["data"] == ["k": "v", "extra": "merged"])
            #expect(merge.labels["patched"] == "merge")
            #expect(try await client.get(.configMaps, namespace: "mods", name: "untouched")["data"] == ["k": "v"])
            let deployment = try await client.get(H.deployments, namespace: "mods", name: "web")
            let containers = deployment["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []
            #expect(
                containers.map { $0["name"]?.stringValue ?? "" } == ["main", "sidecar"],
                "strategic merge keeps the other containers"
            )
            #expect(containers.map { $0["image"]?.stringValue ?? "" } == ["nginx:1.29", "busybox:1.36"])
        }
    }

    @Test(arguments: [
        "version: v1\nresourceModifierRules:\n- conditions: {groupResource: configmaps}\n  patches:\n  - operation: explode\n    path: /data",
        "version: v2\nresourceModifierRules: []",
        "version: v1\nresourceModifierRules: [ {conditions: ",
    ])
    func malformedModifiersFailBeforeAnythingIsCreated(rules: String) async throws {
        let backup = Self.modifierBackup()
        let store = try await backup.store()
        try await H.withCluster { client in
            try await Self.createModifiers(client, data: ["rules.yaml": .string(rules)])
            let namespaces = try await H.names(client, .namespaces)
            let configMaps = try await H.names(client, .configMaps)
            let error = await #expect(throws: BackupEngineError.self) {
                _ = try await H.restore(client, store: store, backup: backup.name) {
                    $0.resourceModifier = TypedLocalObjectReference(kind: "ConfigMap", name: "restore-mods")
                }
            }
            #expect(error?.code == .invalidSpec)
            #expect(error?.message.contains("restore-mods") == true, "\(error?.message ?? "")")
            #expect(try await H.names(client, .namespaces) == namespaces)
            #expect(try await H.names(client, .configMaps) == configMaps)
            #expect(try await H.names(client, H.deployments).isEmpty)
            #expect(try await store.store.exists("restores/r1/restore-r1-results.gz") == false)
        }
    }
}
