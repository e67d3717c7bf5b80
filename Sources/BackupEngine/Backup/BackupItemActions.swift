package import Kubernetes
import VeleroAPI

/// A reference to an object that an item action asks to back up (or restore) alongside another.
package struct ItemReference: Sendable, Hashable, CustomStringConvertible {
    /// Canonical group-resource (`persistentvolumeclaims`, `clusterroles.rbac.authorization.k8s.io`).
    package var groupResource: String
    package var namespace: String?
    package var name: String

    package init(groupResource: String, namespace: String?, name: String) {
        self.groupResource = groupResource
        self.namespace = (namespace?.isEmpty ?? true) ? nil : namespace
        self.name = name
    }

    package var description: String {
        if let namespace { return "\(groupResource) \(namespace)/\(name)" }
        return "\(groupResource) \(name)"
    }
}

/// Velero's built-in BackupItemActions (velero.md §3.3), on unstructured objects.
package enum BackupItemActions {
    /// `velero.io/pod`: the pod's PVCs and its PriorityClass.
    package static func podAdditionalItems(_ pod: KubeObject) -> [ItemReference] {
        var items: [ItemReference] = []
        for volume in pod["spec"]?["volumes"]?.arrayValue ?? [] {
            if let claim = volume["persistentVolumeClaim"]?["claimName"]?.stringValue, !claim.isEmpty {
                items.append(
                    ItemReference(groupResource: "persistentvolumeclaims", namespace: pod.namespace, name: claim)
                )
            }
        }
        if let priorityClass = pod["spec"]?["priorityClassName"]?.stringValue, !priorityClass.isEmpty {
            items.append(
                ItemReference(groupResource: "priorityclasses.scheduling.k8s.io", namespace: nil, name: priorityClass)
            )
        }
        return items
    }

    /// `velero.io/pv` on a PVC: when bound, clears `dataSource`, `dataSourceRef`, `selector`
    /// (kept only when `storageClassName` is `""`), `velero.io*` selector labels and stale Velero
    /// labels, and adds its PV.
    package static func persistentVolumeClaim(_ pvc: KubeObject, backupName: String) -> (KubeObject, [ItemReference]) {
        guard pvc["status"]?["phase"]?.stringValue == "Bound",
            let volumeName = pvc["spec"]?["volumeName"]?.stringValue, !volumeName.isEmpty
        else { return (pvc, []) }
        var out = pvc
        if var spec = out["spec"]?.objectValue {
            spec["dataSource"] = nil
            spec["dataSourceRef"] = nil
            if spec["storageClassName"]?.stringValue != "" {
                spec["selector"] = nil
            }
            if var selector = spec["selector"]?.objectValue, var matchLabels = selector["matchLabels"]?.objectValue {
                for key in matchLabels.keys where key.hasPrefix(VeleroAPIGroup.name) { matchLabels[key] = nil }
                selector["matchLabels"] = .object(matchLabels)
                spec["selector"] = .object(selector)
            }
            out["spec"] = .object(spec)
        }
        var labels = out.labels
        labels[VeleroLabels.restoreName] = nil
        labels[VeleroLabels.volumeSnapshotName] = nil
        if let owner = labels[VeleroLabels.backupName], owner != backupName { labels[VeleroLabels.backupName] = nil }
        if labels != out.labels { out.labels = labels }
        return (out, [ItemReference(groupResource: "persistentvolumes", namespace: nil, name: volumeName)])
    }

    /// `velero.io/service-account`: the ClusterRoleBindings that name the service account as a
    /// subject, and the ClusterRoles they bind.
    package static func serviceAccountAdditionalItems(
        _ serviceAccount: KubeObject,
        clusterRoleBindings: [KubeObject]
    ) -> [ItemReference] {
        guard let namespace = serviceAccount.namespace, let name = serviceAccount.name else { return [] }
        var items: [ItemReference] = []
        var roles: [String] = []
        for binding in clusterRoleBindings {
            let subjects = binding["subjects"]?.arrayValue ?? []
            let matches = subjects.contains {
                $0["kind"]?.stringValue == "ServiceAccount" && $0["namespace"]?.stringValue == namespace
                    && $0["name"]?.stringValue == name
            }
            guard matches, let bindingName = binding.name else { continue }
            items.append(
                ItemReference(
                    groupResource: "clusterrolebindings.rbac.authorization.k8s.io",
                    namespace: nil,
                    name: bindingName
                )
            )
            if binding["roleRef"]?["kind"]?.stringValue == "ClusterRole",
                let role = binding["roleRef"]?["name"]?.stringValue,
                !roles.contains(role)
            {
                roles.append(role)
            }
        }
        items += roles.map {
            ItemReference(groupResource: "clusterroles.rbac.authorization.k8s.io", namespace: nil, name: $0)
        }
        return items
    }
}
