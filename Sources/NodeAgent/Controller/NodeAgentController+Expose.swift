import Foundation
import Synchronization
import Kubernetes
import Logging

/// Exposure: creating a load's data-mover pod (and PVC) with ``ExposerBuilder``, and cleaning them up.
extension NodeAgentController {
    static let persistentVolumeClaims = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims")

    /// Creates the load's hosting pod and PVC; objects that already exist are kept.
    func expose(_ load: LoadObject) async throws {
        let spec = load.object["spec"]
        let owner = load.reference
        let operationTimeout = spec?["operationTimeout"]?.stringValue ?? "10m0s"
        switch load.kind {
        case .dataUpload:
            let snapshot = spec?["csiSnapshot"]
            let sourceClass = snapshot?["storageClass"]?.stringValue ?? ""
            let source = await claim(namespace: spec?["sourceNamespace"]?.stringValue, name: spec?["sourcePVC"]?.stringValue)
            let parameters = ExposerBuilder.BackupParameters(
                owner: owner, sourceStorageClass: sourceClass,
                volumeMode: source?["spec"]?["volumeMode"]?.stringValue ?? "Filesystem",
                size: Self.size(of: source), volumeSnapshotName: snapshot?["volumeSnapshot"]?.stringValue ?? load.name,
                operationTimeout: operationTimeout)
            try await create(Self.persistentVolumeClaims, builder.backupPVC(parameters))
            let storageClass = config.backupPVCSettings(forSourceStorageClass: sourceClass).storageClass
            try await create(.pods, placed(builder.backupPod(parameters), storageClass: storageClass))
        case .dataDownload:
            let target = spec?["targetVolume"]
            let targetClaim = await claim(namespace: target?["namespace"]?.stringValue, name: target?["pvc"]?.stringValue)
            let targetClass = targetClaim?["spec"]?["storageClassName"]?.stringValue ?? ""
            let selected = targetClaim?["metadata"]?["annotations"]?["volume.kubernetes.io/selected-node"]?.stringValue
            let parameters = ExposerBuilder.RestoreParameters(
                owner: owner, targetStorageClass: targetClass,
                volumeMode: targetClaim?["spec"]?["volumeMode"]?.stringValue ?? "Filesystem", size: Self.size(of: targetClaim),
                operationTimeout: operationTimeout, selectedNode: selected)
            try await create(Self.persistentVolumeClaims, builder.restorePVC(parameters))
            let pod = builder.restorePod(parameters)
            try await create(.pods, selected == nil ? placed(pod, storageClass: targetClass) : pod)
        case .podVolumeBackup, .podVolumeRestore:
            try await create(.pods, builder.podVolumePod(owner: owner, node: node, hostPods: configuration.hostPods))
        }
    }

    /// Deletes the load's hosting pod and PVC (missing ones are fine).
    func cleanUp(_ load: LoadObject) async {
        let targets: [GroupVersionResource] =
            load.kind.usesLoadAffinity ? [.pods, Self.persistentVolumeClaims] : [.pods]
        for resource in targets {
            do {
                try await client.delete(resource, namespace: namespace, name: load.name)
            } catch let e as KubeError where e.code == .notFound {
                continue
            } catch {
                logger.debug(
                    "cleaning up an exposed object failed",
                    metadata: ["load": "\(load.kind.rawValue)/\(load.name)", "resource": "\(resource)", "error": "\(error)"])
            }
        }
    }

    private func create(_ resource: GroupVersionResource, _ value: JSONValue) async throws {
        guard let object = KubeObject(value) else { return }
        do {
            _ = try await client.create(resource, namespace: namespace, object)
        } catch let e as KubeError where e.code == .alreadyExists {
            return
        }
    }

    private func claim(namespace: String?, name: String?) async -> KubeObject? {
        guard let name, !name.isEmpty else { return nil }
        return try? await client.get(Self.persistentVolumeClaims, namespace: namespace ?? self.namespace, name: name)
    }

    private static func size(of claim: KubeObject?) -> Quantity {
        if let value = claim?["spec"]?["resources"]?["requests"]?["storage"], let q = try? Quantity(json: value) { return q }
        return Quantity(1 << 30, format: .binarySI)
    }

    /// The nodes the load affinity of `storageClass` admits (every known node when there is none).
    func admittedNodes(storageClass: String) -> [String] {
        if let known = state.admitted.withLock({ $0[storageClass] }) { return known }
        let affinity = config.nodeAffinity(forStorageClass: storageClass)
        let nodes = nodeCapacity.keys.filter { affinity?.admits(nodeLabels[$0] ?? [:]) ?? true }.sorted()
        state.admitted.withLock { $0[storageClass] = nodes }
        return nodes
    }

    /// The storage class whose load affinity places the load's pod (data movement only).
    func placementStorageClass(of load: LoadObject) -> String? {
        switch load.kind {
        case .dataUpload:
            let source = load.object["spec"]?["csiSnapshot"]?["storageClass"]?.stringValue ?? ""
            return config.backupPVCSettings(forSourceStorageClass: source).storageClass
        case .dataDownload: return ""
        case .podVolumeBackup, .podVolumeRestore: return nil
        }
    }

    /// Whether this node may run a data-mover pod for `storageClass` (its load affinity admits this node;
    /// always true when the cluster's nodes are unknown).
    func admitsThisNode(storageClass: String) -> Bool {
        nodeCapacity.isEmpty || admittedNodes(storageClass: storageClass).contains(node)
    }

    /// With ``Configuration/capacityAwarePlacement``: narrows the pod's required node affinity to this node,
    /// which holds a data-path slot for the load (added to every term, next to the load affinity's own
    /// requirements, which admit this node).
    func placed(_ pod: JSONValue, storageClass: String) -> JSONValue {
        guard configuration.capacityAwarePlacement, !nodeCapacity.isEmpty else { return pod }
        let requirement: JSONValue = ["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]
        var pod = pod
        let path = ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]
        var terms = pod[path: path]?.arrayValue ?? [[:]]
        for i in terms.indices {
            let expressions = terms[i]["matchExpressions"]?.arrayValue ?? []
            terms[i]["matchExpressions"] = .array(expressions + [requirement])
        }
        pod[path: path] = .array(terms)
        return pod
    }
}
