package import Kubernetes

/// What `velero.io/pod-volume-restore` needs: the backup's pod volume backups, the restore's UID (the helper's
/// argument and the name of the marker files) and the shape of the `restore-wait` container.
package struct PodVolumeRestoreContext: Sendable {
    /// The backup's PodVolumeBackups.
    package var backups: BackupPodVolumes
    /// The restore's UID.
    package var restoreUID: String
    /// The init container's image, command, resources and security context.
    package var container: RestoreWaitContainer

    /// Creates a context.
    package init(backups: BackupPodVolumes, restoreUID: String, container: RestoreWaitContainer = .init()) {
        self.backups = backups
        self.restoreUID = restoreUID
        self.container = container
    }
}

/// `velero.io/pod-volume-restore`: removes any `restore-wait` (or legacy `restic-wait`) init container the pod was
/// backed up with and, when the backup holds file-system backups of the pod's volumes, puts a new `restore-wait`
/// first, mounting each volume whose data Lifeboat restores at `/restores/<volume>`.
///
/// Volumes backed up by an uploader Lifeboat cannot read (Velero's kopia) are left out of the container, so the pod
/// still starts; the restore reports them as errors when it creates the PodVolumeRestores.
package struct PodVolumeRestoreAction: RestoreItemAction {
    package let name = "velero.io/pod-volume-restore"

    package init() {}

    package func applies(to groupResource: String, item: JSONValue) -> Bool { groupResource == "pods" }

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        guard let podVolumes = context.podVolumes, var spec = input.item["spec"]?.objectValue else {
            return RestoreItemActionOutput(item: input.item)
        }
        var initContainers = (spec["initContainers"]?.arrayValue ?? []).filter {
            let name = $0["name"]?.stringValue
            return name != RestoreWaitContainer.name && name != RestoreWaitContainer.legacyName
        }
        let volumes = podVolumes.backups.volumes(
            pod: RestoreObjectFields.name(input.itemFromBackup),
            sourceNamespace: RestoreObjectFields.namespace(input.itemFromBackup),
            podVolumes: input.item[path: ["spec", "volumes"]]
        )
        let restored = volumes.filter(\.isReadable).map(\.name)
        if !restored.isEmpty {
            let container = podVolumes.container.container(
                restoreUID: podVolumes.restoreUID,
                volumes: restored,
                podSpec: .object(spec)
            )
            initContainers.insert(container, at: 0)
        }
        if initContainers.isEmpty {
            // Only a restore-wait the pod was backed up with is dropped; an absent list stays absent.
            if spec["initContainers"] != nil { spec["initContainers"] = .array([]) }
        } else {
            spec["initContainers"] = .array(initContainers)
        }
        var item = input.item
        item["spec"] = .object(spec)
        return RestoreItemActionOutput(item: item)
    }
}
