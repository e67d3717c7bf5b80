import Foundation
import KubeSandboxTesting
import Kubernetes

/// The cluster state most backup tests start from:
///
/// - namespaces `app-a` (label `team=a`), `app-b` (`team=b`), `other`; each with ConfigMap `settings`
///   (`app=web`), Secret `creds` (`app=db`) and Deployment `web` (`app=web`);
/// - `app-a/skip-me`: a ConfigMap labelled `velero.io/exclude-from-backup=true`;
/// - `app-a/both`: a ConfigMap labelled `app=web, tier=db` (matches two OR selectors);
/// - `app-b/going`: a ConfigMap being deleted (a finalizer holds it, deletionTimestamp set);
/// - CRD `widgets.example.com` (namespaced, kind Widget) and Widget `app-a/w1` (`app=web`);
/// - PriorityClass `high`; Pod `app-a/db` (priorityClassName `high`, serviceAccountName `robot`) mounting
///   PVC `app-a/data`, which the sandbox binds to a provisioned PV; the PVC carries a selector with a
///   `velero.io/…` key and a stale `velero.io/restore-name` label (the PVC action removes both);
/// - ServiceAccount `app-a/robot` bound by ClusterRoleBinding `robot-binding` to ClusterRole `robot-role`,
///   and an unrelated binding `unrelated-binding` → ClusterRole `unrelated-role` for `other/nobody`;
/// - StorageClass `fast` (cluster-scoped, label `app=web`).
struct BackupFixture {
    /// The PV the sandbox provisioned for `app-a/data`.
    var volumeName: String

    static let namespaces = ["app-a", "app-b", "other"]
    static let widgets = GroupVersionResource(group: "example.com", version: "v1", resource: "widgets")
    static let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")
    static let pvcs = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims")
    static let pvs = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumes")
    static let serviceAccounts = GroupVersionResource(group: "", version: "v1", resource: "serviceaccounts")
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
    static let priorityClasses = GroupVersionResource(
        group: "scheduling.k8s.io",
        version: "v1",
        resource: "priorityclasses"
    )
    static let storageClasses = GroupVersionResource(group: "storage.k8s.io", version: "v1", resource: "storageclasses")

    typealias T = BackupTestCluster

    /// Creates everything and waits until the PVC is bound and the deleting ConfigMap shows its deletionTimestamp.
    static func populate(_ client: KubeClient) async throws -> BackupFixture {
        try await client.createNamespaceAndWait("app-a", labels: ["team": "a"])
        try await client.createNamespaceAndWait("app-b", labels: ["team": "b"])
        try await client.createNamespaceAndWait("other")
        for namespace in namespaces {
            _ = try await client.create(
                .configMaps,
                try T.object([
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": ["name": "settings", "namespace": .string(namespace), "labels": ["app": "web"]],
                    "data": ["mode": "fast", "size": "3"],
                ])
            )
            _ = try await client.create(
                .secrets,
                try T.object([
                    "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                    "metadata": ["name": "creds", "namespace": .string(namespace), "labels": ["app": "db"]],
                    "data": ["password": "c2VjcmV0"],
                ])
            )
            _ = try await client.create(deployments, try deployment("web", namespace: namespace))
        }
        _ = try await client.create(
            .configMaps,
            try T.object([
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": [
                    "name": "skip-me", "namespace": "app-a",
                    "labels": ["app": "web", "velero.io/exclude-from-backup": "true"],
                ],
                "data": ["x": "1"],
            ])
        )
        _ = try await client.create(
            .configMaps,
            try T.object([
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": "both", "namespace": "app-a", "labels": ["app": "web", "tier": "db"]],
                "data": ["x": "2"],
            ])
        )
        _ = try await client.create(
            .configMaps,
            try T.object([
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": [
                    "name": "going", "namespace": "app-b", "labels": ["app": "web"], "finalizers": ["example.com/hold"],
                ],
                "data": ["x": "3"],
            ])
        )
        try await client.delete(.configMaps, namespace: "app-b", name: "going")

        try await createWidgets(client)
        try await createRBAC(client)
        _ = try await client.create(
            storageClasses,
            try T.object([
                "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": ["name": "fast", "labels": ["app": "web"]], "provisioner": "example.com/none",
            ])
        )
        let volume = try await createPodWithVolume(client)

        try await waitUntil("app-b/going to be marked deleted") {
            try await client.get(.configMaps, namespace: "app-b", name: "going").deletionTimestamp != nil
        }
        return BackupFixture(volumeName: volume)
    }

    static func deployment(
        _ name: String,
        namespace: String,
        labels: [String: String] = ["app": "web"]
    ) throws -> KubeObject {
        var matchLabels = JSONObject()
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { matchLabels[key] = .string(value) }
        return try T.object([
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .object(matchLabels)],
            "spec": [
                "replicas": 1,
                "selector": ["matchLabels": .object(matchLabels)],
                "template": [
                    "metadata": ["labels": .object(matchLabels)],
                    "spec": ["containers": [["name": "main", "image": "nginx:1.27"]]],
                ],
            ],
        ])
    }

    private static func createWidgets(_ client: KubeClient) async throws {
        _ = try await client.create(
            .customResourceDefinitions,
            try T.object([
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": ["name": "widgets.example.com"],
                "spec": [
                    "group": "example.com", "scope": "Namespaced",
                    "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"],
                    "versions": [
                        [
                            "name": "v1", "served": true, "storage": true,
                            "schema": [
                                "openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
                            ],
                        ]
                    ],
                ],
            ])
        )
        try await waitUntil("widgets.example.com to be served") {
            (try? await client.list(widgets, namespace: "app-a")) != nil
        }
        _ = try await client.create(
            widgets,
            try T.object([
                "apiVersion": "example.com/v1", "kind": "Widget",
                "metadata": ["name": "w1", "namespace": "app-a", "labels": ["app": "web"]],
                "spec": ["size": 3],
            ])
        )
    }

    private static func createRBAC(_ client: KubeClient) async throws {
        _ = try await client.create(
            serviceAccounts,
            try T.object([
                "apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "robot", "namespace": "app-a"],
            ])
        )
        for (role, binding, namespace, account) in [
            ("robot-role", "robot-binding", "app-a", "robot"),
            ("unrelated-role", "unrelated-binding", "other", "nobody"),
        ] {
            _ = try await client.create(
                clusterRoles,
                try T.object([
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": ["name": .string(role)],
                    "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]]],
                ])
            )
            _ = try await client.create(
                clusterRoleBindings,
                try T.object([
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                    "metadata": ["name": .string(binding)],
                    "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
                    "subjects": [
                        ["kind": "ServiceAccount", "name": .string(account), "namespace": .string(namespace)]
                    ],
                ])
            )
        }
    }

    private static func createPodWithVolume(_ client: KubeClient) async throws -> String {
        _ = try await client.create(
            priorityClasses,
            try T.object([
                "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": ["name": "high"],
                "value": 1000,
            ])
        )
        // A claim with a selector is bound to an Available volume with matching labels (never provisioned).
        _ = try await client.create(
            GroupVersionResource(group: "", version: "v1", resource: "persistentvolumes"),
            try T.object([
                "apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": ["name": "pv-app-a-data", "labels": ["velero.io/backup-name": "old", "disk": "ssd"]],
                "spec": [
                    "capacity": ["storage": "2Gi"], "accessModes": ["ReadWriteOnce"], "storageClassName": "sandbox",
                    "persistentVolumeReclaimPolicy": "Delete",
                    "csi": ["driver": "sandbox.csi.lifeboat.io", "volumeHandle": "pv-app-a-data"],
                ],
            ])
        )
        _ = try await client.create(
            pvcs,
            try T.object([
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": [
                    "name": "data", "namespace": "app-a",
                    "labels": ["velero.io/restore-name": "old-restore", "app": "db"],
                ],
                "spec": [
                    "accessModes": ["ReadWriteOnce"], "storageClassName": "sandbox",
                    "resources": ["requests": ["storage": "1Gi"]],
                    "selector": ["matchLabels": ["velero.io/backup-name": "old", "disk": "ssd"]],
                ],
            ])
        )
        _ = try await client.create(
            .pods,
            try T.object([
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": "db", "namespace": "app-a", "labels": ["app": "db"]],
                "spec": [
                    "priorityClassName": "high", "serviceAccountName": "robot",
                    "containers": [
                        [
                            "name": "db", "image": "postgres:16",
                            "volumeMounts": [["name": "data", "mountPath": "/data"]],
                        ]
                    ],
                    "volumes": [["name": "data", "persistentVolumeClaim": ["claimName": "data"]]],
                ],
            ])
        )
        var volume = ""
        try await waitUntil("PVC app-a/data to be bound") {
            let pvc = try await client.get(pvcs, namespace: "app-a", name: "data")
            volume = pvc["spec"]?["volumeName"]?.stringValue ?? ""
            return pvc["status"]?["phase"]?.stringValue == "Bound" && !volume.isEmpty
        }
        try await waitUntil("pod app-a/db to be running") {
            try await client.get(.pods, namespace: "app-a", name: "db")["status"]?["phase"]?.stringValue == "Running"
        }
        return volume
    }
}
