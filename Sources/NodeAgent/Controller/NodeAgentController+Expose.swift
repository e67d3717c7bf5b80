import Foundation
import Kubernetes
import Logging
import Synchronization
import VeleroAPI

/// Exposure: creating a load's data-mover pod (and PVC) with ``ExposerBuilder``, and cleaning them up.
extension NodeAgentController {
    static let persistentVolumeClaims = GroupVersionResource(
        group: "",
        version: "v1",
        resource: "persistentvolumeclaims"
    )

    /// Creates the load's hosting pod and PVC (and for a DataUpload first the backup VolumeSnapshot, see
    /// ``exposeSnapshot(_:)``); objects that already exist are kept, so it may run again after a partial
    /// exposure. `knownPod` is a PodVolumeBackup's or PodVolumeRestore's client pod when the caller has just
    /// read it (it is read here otherwise).
    ///
    /// - Returns: false when a DataUpload's source VolumeSnapshot is not ready yet (nothing else is created).
    func expose(_ load: LoadObject, clientPod knownPod: KubeObject? = nil) async throws -> Bool {
        let spec = load.object["spec"]
        let owner = load.reference
        let operationTimeout = spec?["operationTimeout"]?.stringValue ?? "10m0s"
        switch load.kind {
        case .dataUpload:
            let snapshot = spec?["csiSnapshot"]
            var restoreSize: Quantity?
            var snapshotName = snapshot?["volumeSnapshot"]?.stringValue ?? load.name
            if configuration.volumeSnapshotSteps {
                guard case .ready(let size) = try await exposeSnapshot(load) else { return false }
                restoreSize = size
                snapshotName = load.name
            }
            let sourceClass = snapshot?["storageClass"]?.stringValue ?? ""
            let source = await claim(
                namespace: spec?["sourceNamespace"]?.stringValue,
                name: spec?["sourcePVC"]?.stringValue
            )
            let parameters = ExposerBuilder.BackupParameters(
                owner: owner,
                sourceStorageClass: sourceClass,
                volumeMode: source?["spec"]?["volumeMode"]?.stringValue ?? "Filesystem",
                size: restoreSize ?? Self.size(of: source),
                volumeSnapshotName: snapshotName,
                operationTimeout: operationTimeout
            )
            try await create(Self.persistentVolumeClaims, builder.backupPVC(parameters))
            let storageClass = config.backupPVCSettings(forSourceStorageClass: sourceClass).storageClass
            try await create(.pods, placed(builder.backupPod(parameters), storageClass: storageClass))
        case .dataDownload:
            let target = spec?["targetVolume"]
            let targetClaim = await claim(
                namespace: target?["namespace"]?.stringValue,
                name: target?["pvc"]?.stringValue
            )
            if targetClaim?["status"]?["phase"]?.stringValue == "Bound" {
                // The restored volume is bound to the target PVC at the end; a bound target would be overwritten.
                throw NodeAgentError(
                    code: .exposeFailed,
                    message:
                        "Target PVC \(target?["namespace"]?.stringValue ?? "")/\(target?["pvc"]?.stringValue ?? "") has already been bound, abort"
                )
            }
            let targetClass = targetClaim?["spec"]?["storageClassName"]?.stringValue ?? ""
            let selected = targetClaim?["metadata"]?["annotations"]?["volume.kubernetes.io/selected-node"]?.stringValue
            let cache = try await createCacheClaim(load, selectedNode: config.ignoreDelayBinding ? nil : selected)
            let parameters = ExposerBuilder.RestoreParameters(
                owner: owner,
                targetStorageClass: targetClass,
                volumeMode: targetClaim?["spec"]?["volumeMode"]?.stringValue ?? "Filesystem",
                size: Self.size(of: targetClaim),
                operationTimeout: operationTimeout,
                selectedNode: selected,
                cacheClaimName: cache
            )
            try await create(Self.persistentVolumeClaims, builder.restorePVC(parameters))
            let pod = builder.restorePod(parameters)
            try await create(.pods, selected == nil ? placed(pod, storageClass: targetClass) : pod)
        case .podVolumeBackup, .podVolumeRestore:
            let hostPath = try await podVolumeHostPath(of: load, clientPod: knownPod)
            var cache: String?
            if load.kind == .podVolumeRestore { cache = try await createCacheClaim(load, selectedNode: node) }
            let parameters = ExposerBuilder.PodVolumeParameters(
                owner: owner,
                node: node,
                hostPath: hostPath,
                operationTimeout: configuration.resourceTimeout,
                cacheClaimName: cache,
                storageFolder: try await storageFolder(of: load)
            )
            try await create(.pods, builder.podVolumePod(parameters))
        }
        return true
    }

    /// The bucket folder of the load's backup storage location (`spec.backupStorageLocation`) when it is a
    /// `filesystem` one, which the hosting pod mounts at the same path; nil for other providers.
    ///
    /// A location that does not exist gives nil (the data path then fails on it with its own message).
    ///
    /// - Throws: when the location cannot be read or decoded (the exposure fails naming it).
    private func storageFolder(of load: LoadObject) async throws -> String? {
        guard let name = load.object["spec"]?["backupStorageLocation"]?.stringValue, !name.isEmpty else { return nil }
        do {
            let object = try await client.get(BackupStorageLocation.resource, namespace: namespace, name: name)
            return try object.value.decode(as: BackupStorageLocation.self).hostFolder
        } catch let error as KubeError where error.code == .notFound {
            return nil
        } catch {
            throw NodeAgentError(
                code: .exposeFailed,
                message: "error getting backup storage location \(name): \(error)"
            )
        }
    }

    /// Creates the cache PVC of a DataDownload or PodVolumeRestore when `cachePVC` is configured and its
    /// `spec.snapshotSize` is unknown or reaches the threshold (Velero's `getCacheVolumeSize`).
    ///
    /// - Returns: the cache PVC's name, or nil when the load gets none.
    private func createCacheClaim(_ load: LoadObject, selectedNode: String?) async throws -> String? {
        let size = load.object["spec"]?["snapshotSize"]?.intValue ?? 0
        let limit = configuration.cacheLimitBytes
        guard builder.needsCacheVolume(dataSize: size, cacheLimitBytes: limit),
            let claim = builder.cachePVC(owner: load.reference, cacheLimitBytes: limit, selectedNode: selectedNode)
        else { return nil }
        try await create(Self.persistentVolumeClaims, claim)
        return ExposerBuilder.cacheClaimName(of: load.name)
    }

    static let persistentVolumes = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumes")
    static let csiDrivers = GroupVersionResource(group: "storage.k8s.io", version: "v1", resource: "csidrivers")

    /// The node directory of the volume a PodVolumeBackup reads or a PodVolumeRestore writes (`spec.pod`,
    /// `spec.volume`), as Velero's `GetPodVolumeHostPath` and `ExtractPodVolumeHostPath` find it: the
    /// kubelet directory of the volume (from the client pod, its PVC and PV), then the one match of
    /// `<--host-pods>/<pod uid>/volumes|volumeDevices/*/<directory>` on this node, seen from the node.
    private func podVolumeHostPath(of load: LoadObject, clientPod knownPod: KubeObject?) async throws -> String {
        let (podNamespace, podName) = load.clientPod
        let volumeName = load.object["spec"]?["volume"]?.stringValue ?? ""
        let pod: KubeObject
        do {
            if let knownPod { pod = knownPod } else { pod = try await clientPod(of: load) }
        } catch {
            throw NodeAgentError(code: .exposeFailed, message: "error getting client pod \(podName): \(error)")
        }
        guard let volume = pod["spec"]?["volumes"]?.arrayValue?.first(where: { $0["name"]?.stringValue == volumeName })
        else {
            throw NodeAgentError(
                code: .invalidArgument,
                message: "volume \(volumeName) is not found in pod \(podNamespace)/\(podName)"
            )
        }
        let location: ExposerBuilder.PodVolumeDirectory?
        do {
            location = try await podVolumeDirectory(volume, namespace: podNamespace)
        } catch {
            throw NodeAgentError(
                code: .exposeFailed,
                message: "error getting volume directory name for volume \(volumeName) in pod \(podName): \(error)"
            )
        }
        guard let location else {
            throw NodeAgentError(
                code: .exposeFailed,
                message: "error getting volume directory name for volume \(volumeName) in pod \(podName): "
                    + "PVC \(volume["persistentVolumeClaim"]?["claimName"]?.stringValue ?? "") is not bound"
            )
        }
        let path: String
        do {
            path = try ExposerBuilder.singlePathMatch(location, hostPods: configuration.hostPods, podUID: pod.uid ?? "")
        } catch let error as NodeAgentError {
            throw NodeAgentError(
                code: .exposeFailed,
                message:
                    "error identifying unique volume path on host for volume \(volumeName) in pod \(podName): \(error.message)"
            )
        }
        return ExposerBuilder.nodePath(
            of: path,
            hostPods: configuration.hostPods,
            nodePods: configuration.nodePods ?? builder.template.nodePodsPath
        )
    }

    /// The kubelet directory of a client pod's volume: for a PVC, from its PV (and, for a PV that names its CSI
    /// driver only in an annotation, the cluster's CSIDrivers).
    private func podVolumeDirectory(
        _ volume: JSONValue,
        namespace: String
    ) async throws -> ExposerBuilder.PodVolumeDirectory? {
        guard let claimName = volume["persistentVolumeClaim"]?["claimName"]?.stringValue else {
            return ExposerBuilder.podVolumeDirectory(volume: volume, persistentVolume: nil, csiDrivers: [])
        }
        let claim = try await client.get(Self.persistentVolumeClaims, namespace: namespace, name: claimName)
        guard let pvName = claim["spec"]?["volumeName"]?.stringValue, !pvName.isEmpty else { return nil }
        let pv = try await client.get(Self.persistentVolumes, namespace: nil, name: pvName)
        let annotations = pv["metadata"]?["annotations"]
        var drivers: [String] = []
        if pv["spec"]?["csi"] == nil, ExposerBuilder.csiDriverAnnotations.contains(where: { annotations?[$0] != nil }) {
            drivers = try await client.list(Self.csiDrivers).items.compactMap(\.name)
        }
        return ExposerBuilder.podVolumeDirectory(volume: volume, persistentVolume: pv.value, csiDrivers: drivers)
    }

    /// Deletes the load's hosting pod, its PVC (data movement) and its cache PVC (restores), as Velero's
    /// exposers' `CleanUp` do; missing ones are fine.
    func cleanUp(_ load: LoadObject) async {
        state.decide { $0.setExposure(LoadKey(kind: load.kind, name: load.name), done: nil) }
        if load.kind == .dataUpload && configuration.volumeSnapshotSteps { await cleanUpSnapshots(load) }
        var targets: [(GroupVersionResource, String)] = [(.pods, load.name)]
        if load.kind.usesLoadAffinity { targets.append((Self.persistentVolumeClaims, load.name)) }
        if load.kind == .dataDownload || load.kind == .podVolumeRestore {
            targets.append((Self.persistentVolumeClaims, ExposerBuilder.cacheClaimName(of: load.name)))
        }
        for (resource, name) in targets {
            do {
                try await deleteIfAny(resource, namespace: namespace, name: name)
            } catch {
                logger.debug(
                    "cleaning up an exposed object failed",
                    metadata: [
                        "load": "\(load.kind.rawValue)/\(load.name)", "resource": "\(resource)", "error": "\(error)",
                    ]
                )
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
        if let value = claim?["spec"]?["resources"]?["requests"]?["storage"], let q = try? Quantity(json: value) {
            return q
        }
        return Quantity(1 << 30, format: .binarySI)
    }

    /// With ``Configuration/capacityAwarePlacement``: narrows the pod's required node affinity to this node,
    /// which holds a data-path slot for the load (added to every term, next to the load affinity's own
    /// requirements, which admit this node).
    func placed(_ pod: JSONValue, storageClass: String) -> JSONValue {
        guard configuration.capacityAwarePlacement, !decisions.nodeCapacity.isEmpty else { return pod }
        let requirement: JSONValue = ["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]
        var pod = pod
        let path = [
            "spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms",
        ]
        var terms = pod[path: path]?.arrayValue ?? [[:]]
        for i in terms.indices {
            let expressions = terms[i]["matchExpressions"]?.arrayValue ?? []
            terms[i]["matchExpressions"] = .array(expressions + [requirement])
        }
        pod[path: path] = .array(terms)
        return pod
    }
}
