import Foundation
import Kubernetes

/// Objects every sandbox has: the system namespaces, the `kubernetes` Service, Ready nodes with their CSINodes,
/// the default `sandbox` StorageClass, the CSIDriver, the pre-installed CRDs and (when the CSI snapshot kinds are
/// among them) the default VolumeSnapshotClass. Missing ones are created on every start.
struct Bootstrap {
    let core: SandboxCore

    static let zones = ["sandbox-zone-a", "sandbox-zone-b", "sandbox-zone-c"]
    static let instanceTypes = ["sandbox.small", "sandbox.large"]
    /// The in-tree plugins a v1.32 kubelet lists as migrated to CSI on its CSINode.
    static let migratedPlugins = [
        "kubernetes.io/aws-ebs", "kubernetes.io/azure-disk", "kubernetes.io/azure-file", "kubernetes.io/cinder",
        "kubernetes.io/gce-pd", "kubernetes.io/portworx-volume", "kubernetes.io/vsphere-volume",
    ].joined(separator: ",")

    func run() async throws {
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            try await ensure("v1", "namespaces", nil, ["metadata": ["name": .string(namespace)]])
        }
        try await ensure(
            "v1",
            "services",
            "default",
            [
                "metadata": ["name": "kubernetes", "labels": ["component": "apiserver", "provider": "kubernetes"]],
                "spec": [
                    "clusterIP": "10.0.0.1", "type": "ClusterIP",
                    "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443]],
                ],
            ]
        )
        if core.configuration.nodes > 0 {
            for index in 1...core.configuration.nodes { try await ensureNode(index) }
        }
        try await ensure(
            "storage.k8s.io/v1",
            "storageclasses",
            nil,
            [
                "metadata": [
                    "name": .string(ClusterController.storageClassName),
                    "annotations": ["storageclass.kubernetes.io/is-default-class": "true"],
                ],
                "provisioner": .string(ClusterController.provisioner), "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true,
            ]
        )
        try await ensure(
            "storage.k8s.io/v1",
            "csidrivers",
            nil,
            [
                "metadata": ["name": .string(ClusterController.provisioner)],
                "spec": ["attachRequired": false, "podInfoOnMount": false, "volumeLifecycleModes": ["Persistent"]],
            ]
        )
        for crd in PreinstalledCRDs.definitions(core.configuration.customResources) {
            try await ensure("apiextensions.k8s.io/v1", "customresourcedefinitions", nil, crd)
        }
        if core.registry.lookup(groupVersion: "snapshot.storage.k8s.io/v1", plural: "volumesnapshotclasses") != nil {
            try await ensure(
                "snapshot.storage.k8s.io/v1",
                "volumesnapshotclasses",
                nil,
                [
                    "metadata": [
                        "name": .string(ClusterController.snapshotClassName),
                        "annotations": ["snapshot.storage.kubernetes.io/is-default-class": "true"],
                    ],
                    "driver": .string(ClusterController.provisioner), "deletionPolicy": "Delete",
                ]
            )
        }
    }

    private func ensureNode(_ index: Int) async throws {
        let name = "sandbox-node-\(index)"
        let labels: JSONValue = [
            "kubernetes.io/hostname": .string(name), "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "topology.kubernetes.io/zone": .string(Self.zones[(index - 1) % 3]),
            "node.kubernetes.io/instance-type": .string(Self.instanceTypes[(index - 1) % 2]),
        ]
        guard let type = core.registry.lookup(groupVersion: "v1", plural: "nodes") else { return }
        if let node = core.store.get(type.storageKey, ObjectKey(namespace: "", name: name)) {
            try await ensureCSINode(name, nodeUID: node.uid)
            return
        }
        _ = try await core.create(
            type,
            namespace: nil,
            object: ["metadata": ["name": .string(name), "labels": labels], "spec": [:]],
            options: .system
        )
        let now = SandboxCore.timestamp()
        let status: JSONValue = [
            "capacity": ["cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi"],
            "allocatable": ["cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi"],
            "conditions": [
                [
                    "type": "Ready", "status": "True", "reason": "KubeletReady",
                    "message": "kubelet is posting ready status", "lastHeartbeatTime": .string(now),
                    "lastTransitionTime": .string(now),
                ]
            ],
            "addresses": [
                ["type": "InternalIP", "address": "127.0.0.1"], ["type": "Hostname", "address": .string(name)],
            ],
            "nodeInfo": [
                "kubeletVersion": "v1.32.0", "kubeProxyVersion": "v1.32.0", "operatingSystem": "linux",
                "architecture": "amd64", "containerRuntimeVersion": "sandbox://1.0", "osImage": "Lifeboat sandbox",
                "kernelVersion": "", "machineID": "", "systemUUID": "", "bootID": "",
            ],
        ]
        _ = try await core.update(
            type,
            namespace: nil,
            name: name,
            object: ["metadata": ["name": .string(name)], "spec": [:], "status": status],
            subresource: "status",
            options: .system
        )
        try await ensureCSINode(
            name,
            nodeUID: core.store.get(type.storageKey, ObjectKey(namespace: "", name: name))?.uid ?? ""
        )
    }

    /// The node's CSINode listing the sandbox's driver, owned by the node, as the kubelet registers it.
    private func ensureCSINode(_ node: String, nodeUID: String) async throws {
        var metadata: JSONObject = [
            "name": .string(node),
            "annotations": ["storage.alpha.kubernetes.io/migrated-plugins": .string(Self.migratedPlugins)],
        ]
        if !nodeUID.isEmpty {
            metadata["ownerReferences"] = [
                ["apiVersion": "v1", "kind": "Node", "name": .string(node), "uid": .string(nodeUID)]
            ]
        }
        try await ensure(
            "storage.k8s.io/v1",
            "csinodes",
            nil,
            [
                "metadata": .object(metadata),
                "spec": [
                    "drivers": [
                        [
                            "name": .string(ClusterController.provisioner), "nodeID": .string(node),
                            "topologyKeys": ["kubernetes.io/hostname"],
                        ]
                    ]
                ],
            ]
        )
    }

    private func ensure(
        _ groupVersion: String,
        _ plural: String,
        _ namespace: String?,
        _ object: JSONValue
    ) async throws {
        guard let type = core.registry.lookup(groupVersion: groupVersion, plural: plural) else {
            throw SandboxError(.startup, "bootstrap type \(groupVersion) \(plural) is not registered")
        }
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let key = ObjectKey(namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        if core.store.get(type.storageKey, key) != nil { return }
        do {
            _ = try await core.create(type, namespace: namespace, object: object, options: .system)
        } catch let status where status.reason == "AlreadyExists" {
            return
        } catch {
            throw SandboxError(.startup, "bootstrap of \(plural) \(name) failed: \(error.message)")
        }
    }
}
