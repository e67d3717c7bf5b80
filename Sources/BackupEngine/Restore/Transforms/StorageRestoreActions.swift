package import Kubernetes
import VeleroAPI

/// `velero.io/pvc`: removes the provisioning and binding annotations that would confuse the target
/// cluster's controllers, and, when the claim was `Bound` in the backup, asks for its volume first.
package struct PVCRestoreAction: RestoreItemAction {
    package let name = "velero.io/pvc"
    let groupResources: Set<String> = ["persistentvolumeclaims"]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }

    /// The annotations removed from a restored claim.
    package static let removedAnnotations = [
        "pv.kubernetes.io/bind-completed",
        "pv.kubernetes.io/bound-by-controller",
        "volume.kubernetes.io/storage-provisioner",
        "volume.beta.kubernetes.io/storage-provisioner",
        "volume.kubernetes.io/selected-node",
        VeleroLabels.volumeSnapshotName,
        VeleroLabels.dataUploadName,
    ]

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        var item = input.item
        RestoreObjectFields.remove(Self.removedAnnotations, from: "annotations", of: &item)
        var output = RestoreItemActionOutput(item: item)
        let phase = input.itemFromBackup[path: ["status", "phase"]]?.stringValue
        if phase == "Bound", let volume = input.itemFromBackup[path: ["spec", "volumeName"]]?.stringValue,
            !volume.isEmpty
        {
            output.additionalItems = [RestoreItemReference(groupResource: "persistentvolumes", name: volume)]
        }
        return output
    }
}

/// `velero.io/change-storage-class`: renames the storage class of PVCs, PVs and StatefulSet
/// `volumeClaimTemplates` by the plugin ConfigMap's `old: new` data. The new class must exist in the
/// target cluster; otherwise the item fails.
package struct ChangeStorageClassRestoreAction: RestoreItemAction {
    package let name = "velero.io/change-storage-class"
    let groupResources: Set<String> = ["persistentvolumeclaims", "persistentvolumes", "statefulsets.apps"]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        guard let mapping = context.storageClassMapping, !mapping.isEmpty else {
            return RestoreItemActionOutput(item: input.item)
        }
        func newClass(for old: String?) throws -> String? {
            guard let old, !old.isEmpty, let target = mapping[old] else { return nil }
            guard context.existingStorageClasses.contains(target) else {
                throw BackupEngineError(
                    code: .actionFailed,
                    message: "error getting storage class \(target) from API: storageclasses.storage.k8s.io "
                        + "\"\(target)\" not found (mapped from \(old) by the change-storage-class ConfigMap)"
                )
            }
            return target
        }
        var item = input.item
        if RestoreObjectFields.kind(item) == "StatefulSet" {
            guard var templates = item[path: ["spec", "volumeClaimTemplates"]]?.arrayValue, !templates.isEmpty else {
                return RestoreItemActionOutput(item: item)
            }
            for index in templates.indices {
                if let target = try newClass(for: templates[index][path: ["spec", "storageClassName"]]?.stringValue) {
                    templates[index][path: ["spec", "storageClassName"]] = .string(target)
                }
            }
            item[path: ["spec", "volumeClaimTemplates"]] = .array(templates)
        } else if let target = try newClass(for: item[path: ["spec", "storageClassName"]]?.stringValue) {
            item[path: ["spec", "storageClassName"]] = .string(target)
        }
        return RestoreItemActionOutput(item: item)
    }
}
