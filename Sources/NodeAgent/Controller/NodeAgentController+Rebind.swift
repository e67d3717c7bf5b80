import Foundation
import Kubernetes
import Logging

/// The end of a DataDownload: the volume its data path filled goes to the restore's target PVC (Velero's
/// `genericRestoreExposer.RebindVolume`, called by `OnDataDownloadCompleted` before the load is Completed).
extension NodeAgentController {
    static let persistentVolumeReclaimRetain = "Retain"

    /// Moves the restore PVC's PV to the target PVC: retains the PV, deletes the restore pod and PVC, points
    /// the target PVC at the PV and the PV's `claimRef` at the target PVC (adding the target's selector labels),
    /// waits until the PV is bound to it, then gives the PV its reclaim policy back. On an error after the PV
    /// was retained, the PV is deleted, as Velero does.
    ///
    /// - Throws: ``NodeAgentError`` with Velero's messages.
    func rebindVolume(_ load: LoadObject) async throws {
        let spec = load.object["spec"]
        let targetNamespace = spec?["targetVolume"]?["namespace"]?.stringValue ?? ""
        let targetName = spec?["targetVolume"]?["pvc"]?.stringValue ?? ""
        let timeout = spec?["operationTimeout"]?.stringValue.flatMap(GoDuration.parse) ?? .seconds(600)
        let claims = Self.persistentVolumeClaims
        func failure(_ message: String, _ error: any Error) -> NodeAgentError {
            NodeAgentError(code: .dataPathFailed, message: "\(message): \(error)")
        }

        let target: KubeObject
        do {
            target = try await client.get(claims, namespace: targetNamespace, name: targetName)
        } catch {
            throw failure("error to get target PVC \(targetNamespace)/\(targetName)", error)
        }
        var volume: KubeObject
        do {
            volume = try await boundVolume(ofClaim: load.name, timeout: timeout)
        } catch {
            throw failure("error to get PV from restore PVC \(load.name)", error)
        }
        let volumeName = volume.name ?? ""
        let reclaimPolicy = volume["spec"]?["persistentVolumeReclaimPolicy"]?.stringValue
        var retained = false
        if reclaimPolicy != Self.persistentVolumeReclaimRetain {
            do {
                volume = try await setReclaimPolicy(volumeName, Self.persistentVolumeReclaimRetain)
                retained = true
            } catch {
                throw failure("error to retain PV \(volumeName)", error)
            }
        }
        do {
            try await ensureDeleted(.pods, name: load.name, timeout: timeout, what: "restore pod")
            try await ensureDeleted(claims, name: load.name, timeout: timeout, what: "restore PVC")
            do {
                _ = try await client.patch(
                    claims,
                    namespace: targetNamespace,
                    name: targetName,
                    .merge([
                        "spec": ["volumeName": .string(volumeName)],
                        "metadata": [
                            "annotations": [
                                "pv.kubernetes.io/bind-completed": nil, "pv.kubernetes.io/bound-by-controller": nil,
                            ]
                        ],
                    ])
                )
            } catch {
                throw failure("error to rebind target PVC \(targetNamespace)/\(targetName) to \(volumeName)", error)
            }
            var labels: JSONObject = [:]
            let existing = volume["metadata"]?["labels"]?.objectValue ?? [:]
            for (key, value) in target["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:]
            where existing[key] == nil {
                labels[key] = value
            }
            var metadata: JSONObject = ["annotations": ["pv.kubernetes.io/bound-by-controller": nil]]
            if !labels.isEmpty { metadata["labels"] = .object(labels) }
            do {
                _ = try await client.patch(
                    Self.persistentVolumes,
                    name: volumeName,
                    .merge([
                        "metadata": .object(metadata),
                        "spec": [
                            "claimRef": [
                                "kind": "PersistentVolumeClaim", "namespace": .string(targetNamespace),
                                "name": .string(targetName),
                                "uid": nil, "apiVersion": nil, "resourceVersion": nil, "fieldPath": nil,
                            ]
                        ],
                    ])
                )
            } catch {
                throw failure("error to reset binding info for restore PV \(volumeName)", error)
            }
            do {
                try await waitFor(timeout: timeout, "PV \(volumeName) bound to \(targetNamespace)/\(targetName)") {
                    let pv = try await client.get(Self.persistentVolumes, name: volumeName)
                    let ref = pv["spec"]?["claimRef"]
                    return pv["status"]?["phase"]?.stringValue == "Bound"
                        && ref?["namespace"]?.stringValue == targetNamespace && ref?["name"]?.stringValue == targetName
                }
            } catch {
                throw failure("error to wait restore PV bound, restore PV \(volumeName)", error)
            }
        } catch {
            if retained {
                logger.info("deleting the retained PV after a failed rebind", metadata: ["pv": "\(volumeName)"])
                _ = try? await client.delete(Self.persistentVolumes, name: volumeName)
            }
            throw error
        }
        if let reclaimPolicy, retained {
            do {
                _ = try await setReclaimPolicy(volumeName, reclaimPolicy)
            } catch {
                logger.warning(
                    "Restore PV's reclaim policy is not restored",
                    metadata: ["pv": "\(volumeName)", "error": "\(error)"]
                )
            }
        }
    }

    /// The PV of the restore PVC `name` once the PVC is bound (Velero's `WaitPVCBound`).
    private func boundVolume(ofClaim name: String, timeout: Duration) async throws -> KubeObject {
        var volumeName = ""
        try await waitFor(timeout: timeout, "PVC \(name) bound") {
            let claim = try await client.get(Self.persistentVolumeClaims, namespace: namespace, name: name)
            volumeName = claim["spec"]?["volumeName"]?.stringValue ?? ""
            return claim["status"]?["phase"]?.stringValue == "Bound" && !volumeName.isEmpty
        }
        return try await client.get(Self.persistentVolumes, name: volumeName)
    }

    private func setReclaimPolicy(_ volume: String, _ policy: String) async throws -> KubeObject {
        try await client.patch(
            Self.persistentVolumes,
            name: volume,
            .merge(["spec": ["persistentVolumeReclaimPolicy": .string(policy)]])
        )
    }

    /// Deletes an object of this namespace and waits until it is gone (Velero's `EnsureDeletePod` / `EnsureDeletePVC`).
    private func ensureDeleted(
        _ resource: GroupVersionResource,
        name: String,
        timeout: Duration,
        what: String
    ) async throws {
        do {
            try await deleteIfAny(resource, namespace: namespace, name: name)
            try await waitFor(timeout: timeout, "\(what) \(name) deleted") {
                try await !exists(resource, namespace: namespace, name: name)
            }
        } catch {
            throw NodeAgentError(code: .dataPathFailed, message: "error to delete \(what) \(name): \(error)")
        }
    }

    /// Polls `condition` every 100 ms until it holds; throws when `timeout` passes first.
    private func waitFor(timeout: Duration, _ what: String, _ condition: () async throws -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while try await !condition() {
            guard clock.now < deadline else {
                throw NodeAgentError(code: .dataPathFailed, message: "timeout waiting for \(what)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
