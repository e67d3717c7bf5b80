import Kubernetes

/// Velero's PodVolumeRestore precondition (`pod_volume_restore_controller.go` `shouldProcess`): the restored
/// pod runs Velero's `restore-wait` init container, which holds the pod until its volumes are restored.
extension NodeAgentController {
    /// Where the `restore-wait` init container of a PodVolumeRestore's pod stands (Velero's
    /// `shouldProcess`): a PVR is accepted only while that container runs (the pod's volumes are mounted
    /// and it waits for the restore).
    enum RestoreWaitState: Sendable, Equatable {
        case running
        /// Its status is not there yet, or it is waiting (look again later).
        case notYet
        /// The pod can never be restored into: the reason, in Velero's words.
        case broken(String)
    }

    /// The client pod of a PodVolumeBackup or PodVolumeRestore (``LoadObject/clientPod``).
    func clientPod(of load: LoadObject) async throws -> KubeObject {
        let (namespace, name) = load.clientPod
        return try await client.get(.pods, namespace: namespace, name: name)
    }

    /// Velero's `shouldProcess` on a pod object.
    static func restoreWaitState(ofPod pod: JSONValue, name: String) -> RestoreWaitState {
        let phase = pod["status"]?["phase"]?.stringValue
        if phase == "Failed" || phase == "Unknown" { return .broken("unexpected state for pod \(name)") }
        let containers = pod["spec"]?["initContainers"]?.arrayValue ?? []
        guard let index = containers.firstIndex(where: { $0["name"]?.stringValue == restoreWaitContainer }) else {
            return .broken("no \(restoreWaitContainer) init container in pod \(name)")
        }
        let statuses = pod["status"]?["initContainerStatuses"]?.arrayValue ?? []
        guard index < statuses.count else { return .notYet }
        let state = statuses[index]["state"]
        if state?["terminated"] != nil {
            return .broken("\(restoreWaitContainer) init container has already completed in pod \(name)")
        }
        if let reason = state?["waiting"]?["reason"]?.stringValue, unrecoverableWaitReasons.contains(reason) {
            return .broken(
                "\(restoreWaitContainer) init container in pod \(name) is in unrecoverable waiting state with reason \(reason)"
            )
        }
        return state?["running"] != nil ? .running : .notYet
    }

    /// `restorehelper.WaitInitContainer`.
    static let restoreWaitContainer = "restore-wait"
    static let unrecoverableWaitReasons: Set<String> = [
        "ImagePullBackOff", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError",
        "InvalidImageName",
        "ErrImagePull",
    ]
}
