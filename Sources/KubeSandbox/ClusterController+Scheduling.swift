import Foundation
import Kubernetes

extension ClusterController {
    // MARK: - Pods

    /// Schedules an unscheduled pod; hands a scheduled one to the kubelet once its claims are bound (and a
    /// deleting one at once, so that its containers stop).
    func reconcilePod(_ key: ObjectKey, _ stored: StoredObject) async {
        guard case let (_, _, pod)? = decode("pods", key) else { return }
        if stored.deleting {
            kubelet.sync(pod, deleting: true)
            return
        }
        let claims = (pod["spec"]?["volumes"]?.arrayValue ?? []).compactMap {
            $0["persistentVolumeClaim"]?["claimName"]?.stringValue
        }
        if let node = pod["spec"]?["nodeName"]?.stringValue, !node.isEmpty {
            let phase = pod["status"]?["phase"]?.stringValue
            if phase != "Succeeded" && phase != "Failed" {
                for claim in claims where boundVolume(namespace: key.namespace, claim: claim) == nil {
                    await reconcileClaim(ObjectKey(namespace: key.namespace, name: claim), nil, selectedNode: node)
                }
                guard claims.allSatisfy({ boundVolume(namespace: key.namespace, claim: $0) != nil }) else { return }
            }
            kubelet.sync(pod, deleting: false)
            return
        }
        guard let node = Scheduler(nodes: nodes()).select(for: pod, podCounts: core.store.podsPerNode) else { return }
        for claim in claims {
            guard
                case let (_, _, pvc)? = decode(
                    "persistentvolumeclaims",
                    ObjectKey(namespace: key.namespace, name: claim)
                )
            else { return }  // missing claim: stay Pending
            if pvc["status"]?["phase"]?.stringValue != "Bound" {
                await reconcileClaim(ObjectKey(namespace: key.namespace, name: claim), nil, selectedNode: node)
            }
            if boundVolume(namespace: key.namespace, claim: claim) == nil { return }  // unbound: stay Pending
        }
        await editObject("pods", key) { object in object[path: ["spec", "nodeName"]] = .string(node) }
    }

    /// The pod is gone from the API: the kubelet stops what still runs and removes the pod's folders.
    func removePodPaths(_ event: WatchEvent) {
        guard let pod = try? JSONValue(parsing: event.object.body) else { return }
        kubelet.removed(pod)
    }

    /// The nodes, decoded; reused while no node changed (every pod the scheduler places needs them).
    private func nodes() -> [JSONValue] {
        guard let type = type("v1", "nodes") else { return [] }
        let items = everything(in: type.storageKey)
        let versions = items.map(\.1.resourceVersion)
        return nodeCache.nodes(versions: versions) { items.compactMap { try? $0.1.decode(type) } }
    }

    // MARK: - Volumes

    func volumeFolder(_ volume: String) -> URL {
        core.volumesRoot.appendingPathComponent("volumes/\(volume)")
    }

    /// The PV bound to a claim, if the claim is Bound.
    func boundVolume(namespace: String, claim: String) -> String? {
        guard case let (_, _, pvc)? = decode("persistentvolumeclaims", ObjectKey(namespace: namespace, name: claim)),
            pvc["status"]?["phase"]?.stringValue == "Bound"
        else { return nil }
        return pvc["spec"]?["volumeName"]?.stringValue
    }

    /// Binds a pending claim: to its pre-set volume when that volume is free or reserved for it, or to a
    /// newly provisioned one when the class is the sandbox's (Immediate now; WaitForFirstConsumer once a
    /// consumer pod picked `selectedNode`). A claim with a label selector is never provisioned (as the CSI
    /// external-provisioner refuses it): only a volume whose `claimRef` names it binds it.
    func reconcileClaim(_ key: ObjectKey, _ stored: StoredObject?, selectedNode: String?) async {
        guard case let (_, current, pvc)? = decode("persistentvolumeclaims", key), !current.deleting,
            pvc["status"]?["phase"]?.stringValue != "Bound"
        else { return }
        if let volume = pvc["spec"]?["volumeName"]?.stringValue, !volume.isEmpty {
            guard case let (_, pvStored, pv)? = decode("persistentvolumes", ObjectKey(namespace: "", name: volume)),
                !pvStored.deleting, Self.claimRef(pv["spec"]?["claimRef"], admits: key, uid: current.uid)
            else { return }  // missing, or bound (or released) to another claim: the claim waits
            await bindVolume(volume, to: key, uid: current.uid)
            await bind(key, pvc: pvc, volume: volume, node: nil)
            return
        }
        if let selector = pvc["spec"]?["selector"], !selector.isNull {
            if let volume = availableVolume(for: pvc, selector: selector) {
                await bindVolume(volume, to: key, uid: current.uid)
                await bind(key, pvc: pvc, volume: volume, node: nil)
            }
            return
        }
        let className = pvc["spec"]?["storageClassName"]?.stringValue ?? Self.storageClassName
        guard let classType = type("storage.k8s.io/v1", "storageclasses"),
            let storageClass = core.store.get(classType.storageKey, ObjectKey(namespace: "", name: className)),
            let classObject = try? storageClass.decode(classType),
            classObject["provisioner"]?.stringValue == Self.provisioner
        else { return }
        let waitForConsumer = classObject["volumeBindingMode"]?.stringValue == "WaitForFirstConsumer"
        if waitForConsumer && selectedNode == nil { return }
        let restore = restoreHandle(for: pvc, namespace: key.namespace)
        if case .some(nil) = restore { return }  // its VolumeSnapshot is not ready yet: the claim waits
        await provision(
            key,
            pvc: pvc,
            storageClass: classObject,
            node: waitForConsumer ? selectedNode : nil,
            restoreFrom: restore ?? nil
        )
    }

    /// Provisions the claim's volume folder (filled from the snapshot copy `restoreFrom` names, if any) and its
    /// PersistentVolume, then binds them.
    private func provision(
        _ key: ObjectKey,
        pvc: JSONValue,
        storageClass: JSONValue,
        node: String?,
        restoreFrom: String?
    ) async {
        guard let uid = pvc["metadata"]?["uid"]?.stringValue, let pvType = type("v1", "persistentvolumes") else {
            return
        }
        let name = "pvc-\(uid)"
        let folder = volumeFolder(name)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if core.store.get(pvType.storageKey, ObjectKey(namespace: "", name: name)) == nil {
            if let restoreFrom { restore(handle: restoreFrom, into: folder) }
            var spec: JSONObject = [
                "capacity": ["storage": pvc["spec"]?["resources"]?["requests"]?["storage"] ?? "1Gi"],
                "accessModes": pvc["spec"]?["accessModes"] ?? ["ReadWriteOnce"],
                "claimRef": [
                    "kind": "PersistentVolumeClaim", "namespace": .string(key.namespace), "name": .string(key.name),
                    "uid": .string(uid), "apiVersion": "v1",
                ],
                "persistentVolumeReclaimPolicy": storageClass["reclaimPolicy"] ?? "Delete",
                "storageClassName": storageClass["metadata"]?["name"] ?? "",
                "volumeMode": pvc["spec"]?["volumeMode"] ?? "Filesystem",
                "csi": [
                    "driver": .string(Self.provisioner), "volumeHandle": .string(name),
                    "volumeAttributes": ["path": .string(folder.path)],
                ],
            ]
            if let node {
                spec["nodeAffinity"] = [
                    "required": [
                        "nodeSelectorTerms": [
                            [
                                "matchExpressions": [
                                    ["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]
                                ]
                            ]
                        ]
                    ]
                ]
            }
            let pv: JSONValue = [
                "metadata": [
                    "name": .string(name),
                    "annotations": ["pv.kubernetes.io/provisioned-by": .string(Self.provisioner)],
                    "finalizers": ["kubernetes.io/pv-protection"],
                ],
                "spec": .object(spec),
            ]
            do { _ = try await core.create(pvType, namespace: nil, object: pv, options: .system) } catch {
                log("provisioning failed", error)
                return
            }
            await editObject(pvType.storageKey, ObjectKey(namespace: "", name: name), subresource: "status") {
                $0["status"] = ["phase": "Bound"]
            }
        }
        await bind(key, pvc: pvc, volume: name, node: node)
    }

    private func bind(_ key: ObjectKey, pvc: JSONValue, volume: String, node: String?) async {
        let capacity =
            core.store.get("persistentvolumes", ObjectKey(namespace: "", name: volume))
            .flatMap { try? JSONValue(parsing: $0.body) }?["spec"]?["capacity"] ?? [:]
        await editObject("persistentvolumeclaims", key) { object in
            object[path: ["spec", "volumeName"]] = .string(volume)
            var annotations = object["metadata"]?["annotations"]?.objectValue ?? [:]
            annotations["pv.kubernetes.io/bind-completed"] = "yes"
            annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
            annotations["volume.beta.kubernetes.io/storage-provisioner"] = .string(Self.provisioner)
            annotations["volume.kubernetes.io/storage-provisioner"] = .string(Self.provisioner)
            if let node { annotations["volume.kubernetes.io/selected-node"] = .string(node) }
            object[path: ["metadata", "annotations"]] = .object(annotations)
        }
        await editObject("persistentvolumeclaims", key, subresource: "status") { object in
            object["status"] = [
                "phase": "Bound", "accessModes": object["spec"]?["accessModes"] ?? ["ReadWriteOnce"],
                "capacity": capacity,
            ]
        }
    }

    /// A volume whose `claimRef` names a claim by namespace and name (without a UID: reserved, as Velero's
    /// restore rebinding leaves it) binds that claim when the claim asks for no other volume, as the PV
    /// controller does for a pre-bound volume.
    func reconcileVolume(_ key: ObjectKey) async {
        guard case let (_, stored, pv)? = decode("persistentvolumes", key), !stored.deleting else { return }
        if pv["spec"]?["claimRef"] == nil || pv["spec"]?["claimRef"]?.isNull == true {
            // A new Available volume: pending claims with a selector may match it.
            if pv["status"]?["phase"]?.stringValue ?? "Available" == "Available" { await reconcileSelectingClaims() }
            return
        }
        guard let ref = pv["spec"]?["claimRef"], let namespace = ref["namespace"]?.stringValue,
            let name = ref["name"]?.stringValue,
            pv["status"]?["phase"]?.stringValue != "Bound" || (ref["uid"]?.stringValue ?? "").isEmpty
        else { return }
        let claimKey = ObjectKey(namespace: namespace, name: name)
        guard case let (_, claimStored, pvc)? = decode("persistentvolumeclaims", claimKey), !claimStored.deleting,
            Self.claimRef(ref, admits: claimKey, uid: claimStored.uid)
        else { return }
        let wanted = pvc["spec"]?["volumeName"]?.stringValue ?? ""
        guard wanted.isEmpty || wanted == key.name else { return }
        await bindVolume(key.name, to: claimKey, uid: claimStored.uid)
        if pvc["status"]?["phase"]?.stringValue != "Bound" {
            await bind(claimKey, pvc: pvc, volume: key.name, node: nil)
        }
    }

    /// Tries the pending claims that have a label selector again (an Available volume appeared).
    private func reconcileSelectingClaims() async {
        guard let claimType = type("v1", "persistentvolumeclaims") else { return }
        let pending = everything(in: claimType.storageKey).filter { _, stored in
            guard let claim = try? stored.decode(claimType) else { return false }
            return claim["status"]?["phase"]?.stringValue != "Bound"
                && claim["spec"]?["selector"].map { !$0.isNull } == true
        }
        for (key, stored) in pending { await reconcileClaim(key, stored, selectedNode: nil) }
    }

    /// An Available volume (no `claimRef`, not Released) for a claim with a label selector, as the PV
    /// controller finds one: same storage class, at least the requested capacity, every requested access
    /// mode, labels matching the selector; the smallest such volume, then by name.
    private func availableVolume(for pvc: JSONValue, selector: JSONValue) -> String? {
        guard let labelSelector = try? LabelSelector(json: selector), let pvType = type("v1", "persistentvolumes")
        else {
            return nil
        }
        let className = pvc["spec"]?["storageClassName"]?.stringValue ?? ""
        let request = (pvc["spec"]?["resources"]?["requests"]?["storage"]?.stringValue).flatMap {
            try? Quantity(parsing: $0)
        }
        let modes = Set((pvc["spec"]?["accessModes"]?.arrayValue ?? []).compactMap(\.stringValue))
        var best: (capacity: Quantity?, name: String)?
        for (key, stored) in everything(in: pvType.storageKey) where !stored.deleting {
            guard let pv = try? stored.decode(pvType),
                pv["spec"]?["claimRef"] == nil || pv["spec"]?["claimRef"]?.isNull == true,
                pv["status"]?["phase"]?.stringValue ?? "Available" == "Available",
                (pv["spec"]?["storageClassName"]?.stringValue ?? "") == className,
                modes.isSubset(of: Set((pv["spec"]?["accessModes"]?.arrayValue ?? []).compactMap(\.stringValue))),
                labelSelector.matches(stored.labels)
            else { continue }
            let capacity = (pv["spec"]?["capacity"]?["storage"]?.stringValue).flatMap { try? Quantity(parsing: $0) }
            if let request, let capacity, capacity < request { continue }
            let candidate = (capacity, key.name)
            if let current = best {
                let smaller =
                    switch (candidate.0, current.capacity) {
                    case let (a?, b?): a < b || (a == b && candidate.1 < current.name)
                    default: candidate.1 < current.name
                    }
                if !smaller { continue }
            }
            best = candidate
        }
        return best?.name
    }

    /// Whether a volume's `claimRef` lets the claim `key` (with `uid`) bind it: no claimRef (Available), or
    /// one naming that claim with its UID or none.
    static func claimRef(_ ref: JSONValue?, admits key: ObjectKey, uid: String) -> Bool {
        guard let ref, !ref.isNull else { return true }
        guard ref["namespace"]?.stringValue == key.namespace, ref["name"]?.stringValue == key.name else { return false }
        let refUID = ref["uid"]?.stringValue ?? ""
        return refUID.isEmpty || refUID == uid
    }

    /// The volume's side of a binding: `claimRef` completed with the claim's UID, phase Bound.
    private func bindVolume(_ volume: String, to claim: ObjectKey, uid: String) async {
        let key = ObjectKey(namespace: "", name: volume)
        await editObject("persistentvolumes", key) { object in
            object[path: ["spec", "claimRef"]] = [
                "kind": "PersistentVolumeClaim", "namespace": .string(claim.namespace), "name": .string(claim.name),
                "uid": .string(uid), "apiVersion": "v1",
            ]
        }
        await editObject("persistentvolumes", key, subresource: "status") { $0["status"] = ["phase": "Bound"] }
    }

    /// A deleted claim releases its volume; volumes with reclaim policy Delete are deleted.
    func releaseVolume(of event: WatchEvent) async {
        guard let pvc = try? JSONValue(parsing: event.object.body),
            let volume = pvc["spec"]?["volumeName"]?.stringValue,
            case let (pvType, stored, pv)? = decode("persistentvolumes", ObjectKey(namespace: "", name: volume)),
            pv["spec"]?["claimRef"]?["uid"]?.stringValue == event.object.uid
        else { return }
        if pv["spec"]?["persistentVolumeReclaimPolicy"]?.stringValue == "Delete" {
            if !stored.finalizers.isEmpty {
                await editObject(pvType.storageKey, ObjectKey(namespace: "", name: volume)) {
                    $0[path: ["metadata", "finalizers"]] = nil
                }
            }
            _ = try? await core.delete(pvType, namespace: nil, name: volume, options: DeleteOptions())
        } else {
            await editObject(pvType.storageKey, ObjectKey(namespace: "", name: volume), subresource: "status") {
                $0["status"] = ["phase": "Released"]
            }
        }
    }

    func removeVolumeFolder(_ volume: String) {
        guard volume.hasPrefix("pvc-") else { return }
        try? FileManager.default.removeItem(at: volumeFolder(volume))
    }
}
