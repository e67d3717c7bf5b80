import Foundation
import KubeSandboxTesting
import Kubernetes
import ObjectStorage
import Testing
import VeleroAPI

@testable import BackupEngine

/// A failure of a restore-test precondition.
struct RestoreHarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Sandboxes, restores and cluster read-backs for the restore engine tests.
enum RestoreHarness {
    static let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
    static let serviceAccounts = GroupVersionResource(group: "", version: "v1", resource: "serviceaccounts")
    static let services = GroupVersionResource(group: "", version: "v1", resource: "services")
    static let pvs = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumes")
    static let pvcs = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims")
    static let roles = GroupVersionResource(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles")
    static let roleBindings = GroupVersionResource(
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "rolebindings"
    )
    static let clusterRoles = GroupVersionResource(
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterroles"
    )
    static let clusterRoleBindings = GroupVersionResource(
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterrolebindings"
    )

    /// Runs `body` against a fresh sandbox (no seed) and a client; both are stopped afterwards.
    static func withCluster(_ body: (KubeClient) async throws -> Void) async throws {
        try await withSandbox { _, client in
            // Ready as a cluster is: its ServiceAccount controller has given `default` its account.
            try await client.waitForDefaultServiceAccount(in: "default")
            try await body(client)
        }
    }

    /// Runs a restore of `backup` from `store`.
    static func restore(
        _ client: KubeClient,
        store: BackupStore,
        backup: String,
        name: String = "r1",
        parallelism: Int = 16,
        dryRun: Bool = false,
        _ edit: (inout RestoreSpec) -> Void = { _ in }
    ) async throws -> RestoreOutcome {
        var spec = RestoreSpec(backupName: backup)
        edit(&spec)
        // Generous limits (the whole suite shares two cores); they only bound waits for the cluster's controllers.
        let configuration = RestoreRunner.Configuration(
            parallelism: parallelism,
            dryRun: dryRun,
            resourceTimeout: .seconds(60),
            terminatingTimeout: .seconds(60),
            recordInCluster: false
        )
        let runner = RestoreRunner(client: client, store: store, configuration: configuration, logger: .quiet)
        return try await runner.run(Restore(metadata: ObjectMeta(name: name), spec: spec))
    }

    /// The cluster's current resourceVersion (one counter for every object in the sandbox).
    static func currentResourceVersion(_ client: KubeClient) async throws -> String {
        try await client.list(.namespaces).resourceVersion ?? "0"
    }

    /// The resourceVersion at which each object named in `names` (`ns/name` or `name`) was created after
    /// `since`, read back from the watch history.
    static func creationVersions(
        _ client: KubeClient,
        _ resource: GroupVersionResource,
        since: String,
        names: Set<String>
    ) async throws -> [String: Int64] {
        try await withThrowingTaskGroup(of: [String: Int64]?.self) { group in
            group.addTask {
                var found: [String: Int64] = [:]
                let options = WatchOptions(resourceVersion: since, allowBookmarks: false, timeoutSeconds: 60)
                for try await event in client.watch(resource, options: options) where event.type == .added {
                    let key =
                        event.object.namespace.map { "\($0)/\(event.object.name ?? "")" } ?? (event.object.name ?? "")
                    guard names.contains(key), found[key] == nil else { continue }
                    found[key] = Int64(event.object.resourceVersion ?? "") ?? -1
                    if found.count == names.count { return found }
                }
                return found
            }
            group.addTask {
                try await Task.sleep(for: .seconds(60))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let first else {
                throw RestoreHarnessError(
                    "timed out watching \(resource.resource) for the creation of \(names.sorted())"
                )
            }
            return first
        }
    }

    /// Every object of `resource` as `ns/name` (or `name`).
    static func names(
        _ client: KubeClient,
        _ resource: GroupVersionResource,
        namespace: String? = nil
    ) async throws -> Set<String> {
        var result: Set<String> = []
        for try await object in client.listObjects(resource, namespace: namespace) {
            result.insert(object.namespace.map { "\($0)/\(object.name ?? "")" } ?? (object.name ?? ""))
        }
        return result
    }

    /// A comparable view of the objects a restore created: server-set fields dropped.
    static func normalized(
        _ client: KubeClient,
        _ resource: GroupVersionResource,
        namespace: String? = nil
    ) async throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for try await object in client.listObjects(resource, namespace: namespace) {
            var value = object.value
            for field in ["uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink"] {
                value[path: ["metadata", field]] = nil
            }
            value["status"] = nil
            // The sandbox's Deployment controller stamps the revision when it gets to the Deployment.
            value[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]] = nil
            if value[path: ["metadata", "annotations"]]?.objectValue?.isEmpty == true {
                value[path: ["metadata", "annotations"]] = nil
            }
            value[path: ["spec", "clusterIP"]] = nil
            value[path: ["spec", "clusterIPs"]] = nil
            value["apiVersion"] = nil
            value["kind"] = nil
            result[object.namespace.map { "\($0)/\(object.name ?? "")" } ?? (object.name ?? "")] = value
        }
        return result
    }

    /// A report entry as the tests compare them.
    struct EntryKey: Hashable, Comparable, CustomStringConvertible {
        var groupResource: String
        var namespace: String
        var name: String
        var action: String
        static func < (a: Self, b: Self) -> Bool { a.description < b.description }
        var description: String { "\(action) \(groupResource) \(namespace)/\(name)" }
    }

    static func keys(_ report: RestoreReport) -> [EntryKey] {
        report.entries.map {
            EntryKey(
                groupResource: $0.groupResource,
                namespace: $0.targetNamespace ?? "",
                name: $0.name,
                action: $0.action.rawValue
            )
        }.sorted()
    }

    /// The entry for one object.
    static func entry(
        _ report: RestoreReport,
        _ groupResource: String,
        _ name: String,
        namespace: String? = nil
    ) -> RestoreReport.Entry? {
        report.entries.first { $0.groupResource == groupResource && $0.name == name && $0.targetNamespace == namespace }
    }
}

/// Object literals for the fixtures.
enum RestoreObjects {
    static func namespace(_ name: String, labels: JSONValue = [:]) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": ["name": .string(name), "uid": "old-uid", "resourceVersion": "11", "labels": labels],
            "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"],
        ]
    }

    static func configMap(
        _ name: String,
        _ namespace: String,
        data: JSONValue = ["k": "v"],
        labels: JSONValue = ["app": "web"]
    ) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "uid": "old-uid", "resourceVersion": "12",
                "creationTimestamp": "2025-01-01T00:00:00Z", "labels": labels,
            ],
            "data": data,
        ]
    }

    static func secret(_ name: String, _ namespace: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "uid": "old-uid", "resourceVersion": "13",
            ],
            "data": ["password": "c2VjcmV0"],
        ]
    }

    static func serviceAccount(_ name: String, _ namespace: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "uid": "old-uid", "resourceVersion": "14",
            ],
        ]
    }

    static func roleBinding(
        _ name: String,
        _ namespace: String,
        subjects: [(account: String, namespace: String)]
    ) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "uid": "old-uid"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"],
            "subjects": .array(
                subjects.map {
                    ["kind": "ServiceAccount", "name": .string($0.account), "namespace": .string($0.namespace)]
                }
            ),
        ]
    }

    static func role(_ name: String, _ namespace: String) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]]],
        ]
    }

    static func service(_ name: String, _ namespace: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "uid": "old-uid"],
            "spec": [
                "type": "ClusterIP", "clusterIP": "10.96.0.42", "clusterIPs": ["10.96.0.42"],
                "selector": ["app": .string(name)],
                "ports": [["name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"]],
            ],
        ]
    }

    static func deployment(_ name: String, _ namespace: String, image: String = "nginx:1.27") -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "uid": "old-uid", "generation": 3,
                "labels": ["app": .string(name)],
            ],
            "spec": [
                "replicas": 2, "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "main", "image": .string(image)]]],
                ],
            ],
            "status": ["replicas": 2, "readyReplicas": 2, "observedGeneration": 3],
        ]
    }

    /// A namespaced CRD `<plural>.<group>` (v1, preserve-unknown-fields, status subresource), as backed up (with status).
    static func crd(plural: String, group: String, kind: String) -> JSONValue {
        [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": [
                "name": .string("\(plural).\(group)"), "uid": "old-uid", "resourceVersion": "99", "generation": 1,
            ],
            "spec": [
                "group": .string(group), "scope": "Namespaced",
                "names": [
                    "plural": .string(plural), "singular": .string(kind.lowercased()), "kind": .string(kind),
                    "listKind": .string(kind + "List"),
                ],
                "versions": [
                    [
                        "name": "v1", "served": true, "storage": true, "subresources": ["status": [:]],
                        "schema": [
                            "openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
                        ],
                    ]
                ],
            ],
            "status": [
                "acceptedNames": ["plural": .string(plural), "kind": .string(kind)], "storedVersions": ["v1"],
                "conditions": [["type": "Established", "status": "True", "reason": "InitialNamesAccepted"]],
            ],
        ]
    }

    static func customResource(
        group: String,
        kind: String,
        name: String,
        namespace: String,
        annotations: JSONValue = [:],
        status: JSONValue? = nil
    ) -> JSONValue {
        var object: JSONValue = [
            "apiVersion": .string("\(group)/v1"), "kind": .string(kind),
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "uid": "old-uid", "annotations": annotations,
            ],
            "spec": ["size": 3],
        ]
        if let status { object["status"] = status }
        return object
    }
}
