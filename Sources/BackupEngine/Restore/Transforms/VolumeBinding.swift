package import Kubernetes

/// PersistentVolume and PersistentVolumeClaim binding clean-up done by Velero's restore
/// (`resetVolumeBindingInfo`, `remapClaimRefNS` and the PVC step after the item actions).
package enum VolumeBinding {
    /// Annotation set by the PV controller once a binding is complete.
    package static let bindCompletedAnnotation = "pv.kubernetes.io/bind-completed"
    /// Annotation set when the PV controller (not a user) bound the volume.
    package static let boundByControllerAnnotation = "pv.kubernetes.io/bound-by-controller"

    /// Drops `spec.claimRef.uid`, `spec.claimRef.resourceVersion` and the two binding annotations, so the
    /// restored PV looks statically provisioned and binds again to the restored claim.
    package static func resetVolumeBindingInfo(_ object: JSONValue) -> JSONValue {
        var result = object
        if var claimRef = result[path: ["spec", "claimRef"]]?.objectValue {
            claimRef.removeValue(forKey: "uid")
            claimRef.removeValue(forKey: "resourceVersion")
            result[path: ["spec", "claimRef"]] = .object(claimRef)
        }
        RestoreObjectFields.remove(
            [bindCompletedAnnotation, boundByControllerAnnotation],
            from: "annotations",
            of: &result
        )
        return result
    }

    /// Moves a PV's `spec.claimRef.namespace` to its mapped namespace, if the mapping names it.
    /// - Returns: the PV and whether it changed.
    package static func remapClaimRefNamespace(
        _ pv: JSONValue,
        namespaceMapping: [String: String]
    ) -> (object: JSONValue, changed: Bool) {
        guard !namespaceMapping.isEmpty,
            let namespace = pv[path: ["spec", "claimRef", "namespace"]]?.stringValue,
            let target = namespaceMapping[namespace]
        else { return (pv, false) }
        var result = pv
        result[path: ["spec", "claimRef", "namespace"]] = .string(target)
        return (result, true)
    }

    /// Whether a PV's `spec.persistentVolumeReclaimPolicy` is `Delete` (such a PV without a snapshot is
    /// not restored; it is re-provisioned dynamically).
    package static func hasDeleteReclaimPolicy(_ pv: JSONValue) -> Bool {
        pv[path: ["spec", "persistentVolumeReclaimPolicy"]]?.stringValue == "Delete"
    }

    /// The PVC step Velero runs after the item actions: a claim naming a volume gets its binding
    /// annotations reset; if that volume is re-provisioned dynamically, `spec.volumeName` is dropped;
    /// if it was renamed, `spec.volumeName` follows the new name.
    ///
    /// - Parameters:
    ///   - pvc: the claim after the item actions.
    ///   - dynamicallyProvisioned: names of PVs that are not restored but re-provisioned.
    ///   - renamedVolumes: old PV name → new PV name.
    package static func resetClaimBinding(
        _ pvc: JSONValue,
        dynamicallyProvisioned: Set<String> = [],
        renamedVolumes: [String: String] = [:]
    ) -> JSONValue {
        guard let volumeName = pvc[path: ["spec", "volumeName"]]?.stringValue, !volumeName.isEmpty else {
            return pvc
        }
        var result = resetVolumeBindingInfo(pvc)
        if dynamicallyProvisioned.contains(volumeName) {
            result[path: ["spec", "volumeName"]] = nil
        }
        if let renamed = renamedVolumes[volumeName] {
            result[path: ["spec", "volumeName"]] = .string(renamed)
        }
        return result
    }
}
