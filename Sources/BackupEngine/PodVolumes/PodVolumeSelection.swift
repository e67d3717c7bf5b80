package import Kubernetes
import VeleroAPI

/// Which of a pod's volumes a backup copies with file-system backup, decided exactly as Velero 1.18 does
/// (`internal/volumehelper.ShouldPerformFSBackup`, `pkg/podvolume/backupper.go BackupPodVolumes`):
///
/// 1. Never: hostPath, secret, configMap, projected and downwardAPI volumes, `default-token*` volumes, and
///    claims when the backup excludes PVCs.
/// 2. A matching resource policy decides next (`fs-backup` → yes, any other action → no).
/// 3. Else the annotations: `backup.velero.io/backup-volumes` (opt-in) or, with `defaultVolumesToFsBackup`,
///    everything but `backup.velero.io/backup-volumes-excludes` (opt-out).
/// 4. Of the chosen volumes the backup then skips, with a reason, those of a pod that is not running, those a
///    `skip` policy matches, claims bound to hostPath PVs, block volumes, volumes no container mounts, and a
///    claim another pod's volume already backs up (one backup per claim).
///
/// Pure: the caller passes the pod, its claims and their volumes (as read from the cluster).
package struct PodVolumeSelection: Sendable {
    /// What happens to one pod volume.
    package enum Decision: Sendable, Hashable {
        /// Back it up (the claim's name when it is a claim).
        case backup(claim: String?)
        /// Chosen for file-system backup but skipped; the reason is Velero's message.
        case skipped(reason: String)
        /// Not chosen (filtered, opted out or not opted in).
        case notSelected
        /// Already backed up through another pod's volume using the same claim.
        case claimTaken(claim: String)
    }

    /// The backup's settings that matter.
    package var defaultVolumesToFsBackup: Bool
    /// `true` when the backup's resource filters exclude `persistentvolumeclaims`.
    package var excludesClaims: Bool
    package var policies: ResourcePolicies?

    package init(defaultVolumesToFsBackup: Bool, excludesClaims: Bool = false, policies: ResourcePolicies? = nil) {
        self.defaultVolumesToFsBackup = defaultVolumesToFsBackup
        self.excludesClaims = excludesClaims
        self.policies = policies
    }

    /// The decision for every volume of `pod`, in the pod's order.
    ///
    /// - Parameters:
    ///   - claims: the pod's claims by name (missing ones are absent).
    ///   - volumes: the PVs by name (the claims' `spec.volumeName`).
    ///   - takenClaims: claims (`namespace/name`) already backed up in this backup; updated.
    package func decide(
        pod: JSONValue,
        claims: [String: JSONValue],
        volumes: [String: JSONValue],
        takenClaims: inout Set<String>
    ) -> [(volume: String, decision: Decision)] {
        let podVolumes = pod["spec"]?["volumes"]?.arrayValue ?? []
        let namespace = pod["metadata"]?["namespace"]?.stringValue ?? ""
        let name = pod["metadata"]?["name"]?.stringValue ?? ""
        var chosen: [(String, JSONValue)] = []
        var result: [String: Decision] = [:]
        for volume in podVolumes {
            guard let volumeName = volume["name"]?.stringValue else { continue }
            if shouldBackUp(volume, pod: pod, claims: claims, volumes: volumes) {
                chosen.append((volumeName, volume))
            } else {
                result[volumeName] = .notSelected
            }
        }
        let notRunning = Self.notRunningReason(pod)
        var mounted = Set<String>()
        var devices = Set<String>()
        for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
            for mount in container["volumeMounts"]?.arrayValue ?? [] {
                if let mountName = mount["name"]?.stringValue { mounted.insert(mountName) }
            }
            for device in container["volumeDevices"]?.arrayValue ?? [] {
                if let deviceName = device["name"]?.stringValue { devices.insert(deviceName) }
            }
        }
        for (volumeName, volume) in chosen {
            let claimName = volume["persistentVolumeClaim"]?["claimName"]?.stringValue
            if let claimName, takenClaims.contains("\(namespace)/\(claimName)") {
                result[volumeName] = .claimTaken(claim: claimName)
                continue
            }
            if let notRunning {
                result[volumeName] = .skipped(
                    reason: "encountered a problem with backing up the PVC of pod \(namespace)/\(name): \(notRunning)"
                )
                continue
            }
            let claim = claimName.flatMap { claims[$0] }
            if claimName != nil && claim == nil {
                result[volumeName] = .skipped(reason: "persistent volume claim \(claimName ?? "") not found")
                continue
            }
            let volumeObject = claim?["spec"]?["volumeName"]?.stringValue.flatMap { volumes[$0] }
            if let policies,
                policies.action(
                    for: PolicyVolume(persistentVolume: volumeObject, podVolume: volume, claim: claim)
                )?.type == .skip
            {
                result[volumeName] = .skipped(reason: "matched action is 'skip' in chosen resource policies")
                continue
            }
            if volume["hostPath"] != nil || volumeObject?["spec"]?["hostPath"] != nil {
                result[volumeName] = .skipped(
                    reason: "volume \(volumeName) in pod \(namespace)/\(name) is a hostPath volume which is not "
                        + "supported for pod volume backup"
                )
                continue
            }
            if devices.contains(volumeName) {
                result[volumeName] = .skipped(
                    reason: "volume \(volumeName) declared in pod \(namespace)/\(name) is a block volume. Block "
                        + "volumes are not supported for fs backup, skipping"
                )
                continue
            }
            if !mounted.contains(volumeName) {
                result[volumeName] = .skipped(
                    reason: "volume \(volumeName) is declared in pod \(namespace)/\(name) but not mounted by any "
                        + "container, skipping"
                )
                continue
            }
            if let claimName { takenClaims.insert("\(namespace)/\(claimName)") }
            result[volumeName] = .backup(claim: claimName)
        }
        return podVolumes.compactMap { volume in
            guard let volumeName = volume["name"]?.stringValue, let decision = result[volumeName] else { return nil }
            return (volumeName, decision)
        }
    }

    /// `ShouldPerformFSBackup`: the filters, then a matching policy, then the opt-in/opt-out annotations.
    private func shouldBackUp(
        _ volume: JSONValue,
        pod: JSONValue,
        claims: [String: JSONValue],
        volumes: [String: JSONValue]
    ) -> Bool {
        guard Self.mayBackUp(volume, excludesClaims: excludesClaims) else { return false }
        let volumeName = volume["name"]?.stringValue ?? ""
        if let policies {
            let claim = volume["persistentVolumeClaim"]?["claimName"]?.stringValue.flatMap { claims[$0] }
            let persistentVolume = claim?["spec"]?["volumeName"]?.stringValue.flatMap { volumes[$0] }
            let subject = PolicyVolume(persistentVolume: persistentVolume, podVolume: volume, claim: claim)
            if let action = policies.action(for: subject) { return action.type == .fsBackup }
        }
        let annotations = pod["metadata"]?["annotations"]
        if defaultVolumesToFsBackup {
            let excluded = Self.list(annotations?[VeleroAnnotations.backupVolumesExcludes]?.stringValue)
            return !excluded.contains(volumeName)
        }
        return Self.list(annotations?[VeleroAnnotations.backupVolumes]?.stringValue).contains(volumeName)
    }

    /// `shouldIncludeVolumeInBackup`: volume kinds whose data comes from the API (or the host) never qualify.
    static func mayBackUp(_ volume: JSONValue, excludesClaims: Bool) -> Bool {
        for source in ["hostPath", "secret", "configMap", "projected", "downwardAPI"]
        where volume[source].map({ !$0.isNull }) ?? false {
            return false
        }
        if excludesClaims, volume["persistentVolumeClaim"].map({ !$0.isNull }) ?? false { return false }
        return !(volume["name"]?.stringValue ?? "").hasPrefix("default-token")
    }

    /// Velero's comma-separated annotation lists (`strings.Split`: empty entries stay, and never match).
    static func list(_ value: String?) -> [String] {
        guard let value, !value.isEmpty else { return [] }
        return value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    /// `kube.IsPodRunning`'s message when the pod cannot have its volumes backed up, else `nil`.
    static func notRunningReason(_ pod: JSONValue) -> String? {
        let name = pod["metadata"]?["name"]?.stringValue ?? ""
        let namespace = pod["metadata"]?["namespace"]?.stringValue ?? ""
        let phase = pod["status"]?["phase"]?.stringValue ?? ""
        if (pod["spec"]?["nodeName"]?.stringValue ?? "").isEmpty {
            return "pod is not scheduled, name=\(name), namespace=\(namespace), phase=\(phase)"
        }
        if phase != "Running" {
            return "pod is not in the expected status, name=\(name), namespace=\(namespace), phase=\(phase): "
                + "pod is not running"
        }
        if let deletion = pod["metadata"]?["deletionTimestamp"], !deletion.isNull {
            return "pod is being terminated, name=\(name), namespace=\(namespace), phase=\(phase)"
        }
        return nil
    }
}
