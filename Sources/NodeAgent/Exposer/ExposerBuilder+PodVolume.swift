import Foundation
package import Kubernetes

extension ExposerBuilder {
    /// Parameters of a PodVolumeBackup's or PodVolumeRestore's exposure.
    package struct PodVolumeParameters: Sendable, Hashable {
        /// The PodVolumeBackup or PodVolumeRestore.
        package var owner: LoadReference
        /// The node of the client pod (whose volume is read or written); the hosting pod goes there.
        package var node: String
        /// The pod volume's directory on the node (see ``ExposerBuilder/singlePathMatch(_:hostPods:podUID:)``).
        package var hostPath: String
        /// Velero's `--resource-timeout` (e.g. "10m0s").
        package var operationTimeout: String
        /// The cache PVC mounted at ``ExposerBuilder/cacheVolumePath`` (restores only), if any.
        package var cacheClaimName: String?
        /// The bucket folder of the load's backup storage location when it is a `filesystem` one
        /// (`BackupStorageLocation.hostFolder`): mounted at the same path (Lifeboat's rule for filesystem
        /// locations).
        package var storageFolder: String?

        package init(
            owner: LoadReference,
            node: String,
            hostPath: String,
            operationTimeout: String = "10m0s",
            cacheClaimName: String? = nil,
            storageFolder: String? = nil
        ) {
            self.owner = owner
            self.node = node
            self.hostPath = hostPath
            self.operationTimeout = operationTimeout
            self.cacheClaimName = cacheClaimName
            self.storageFolder = storageFolder
        }
    }

    /// Where the kubelet keeps a pod volume, relative to `<pods dir>/<pod uid>/volumes|volumeDevices/<plugin>/`
    /// (Velero's `GetVolumeDirectory` and `GetVolumeMode`).
    package struct PodVolumeDirectory: Sendable, Hashable {
        /// The directory under the plugin directory: the PV's name for a PVC (`<pv>/mount` when CSI provisioned
        /// it and it is not a block volume), else the volume's name (`<name>/mount` for an inline CSI volume).
        package var directory: String
        /// A block volume lives under `volumeDevices`, any other under `volumes`.
        package var block: Bool

        package init(directory: String, block: Bool) {
            self.directory = directory
            self.block = block
        }

        /// `volumes` or `volumeDevices`.
        package var subdirectory: String { block ? "volumeDevices" : "volumes" }

        /// The glob Velero matches on the node: `<hostPods>/<pod uid>/<subdirectory>/*/<directory>`.
        package func glob(hostPods: String, podUID: String) -> String {
            "\(hostPods)/\(podUID)/\(subdirectory)/*/\(directory)"
        }
    }

    /// The annotations that name the CSI driver of a PV provisioned (or migrated) by one.
    static let csiDriverAnnotations = ["pv.kubernetes.io/provisioned-by", "pv.kubernetes.io/migrated-to"]

    /// The kubelet directory of a pod volume (Velero's `GetVolumeDirectory`): a volume that is not a PVC is
    /// found by its own name (`<name>/mount` for an inline CSI volume); a PVC's by its PV's name, with `/mount`
    /// when the PV is CSI (`spec.csi`, or a provisioned-by / migrated-to annotation naming one of `csiDrivers`)
    /// and not a block volume.
    ///
    /// - Parameters:
    ///   - volume: the volume's entry in the client pod's `spec.volumes`.
    ///   - persistentVolume: the PV bound to the volume's PVC (ignored for other volumes).
    ///   - csiDrivers: the names of the cluster's CSIDriver objects.
    /// - Returns: nil for a PVC volume without a PV.
    package static func podVolumeDirectory(
        volume: JSONValue,
        persistentVolume: JSONValue?,
        csiDrivers: [String]
    ) -> PodVolumeDirectory? {
        guard volume["persistentVolumeClaim"] != nil else {
            let name = volume["name"]?.stringValue ?? ""
            return PodVolumeDirectory(directory: volume["csi"] != nil ? name + "/mount" : name, block: false)
        }
        guard let pv = persistentVolume, let pvName = pv["metadata"]?["name"]?.stringValue, !pvName.isEmpty else {
            return nil
        }
        let block = pv["spec"]?["volumeMode"]?.stringValue == "Block"
        let annotations = pv["metadata"]?["annotations"]
        let csi =
            pv["spec"]?["csi"] != nil
            || csiDriverAnnotations.contains { key in
                guard let driver = annotations?[key]?.stringValue, !driver.isEmpty else { return false }
                return csiDrivers.contains(driver)
            }
        return PodVolumeDirectory(directory: csi && !block ? pvName + "/mount" : pvName, block: block)
    }

    /// The one path matching `<hostPods>/<podUID>/<volumes|volumeDevices>/*/<directory>` on this node's
    /// filesystem (Velero's `SinglePathMatch`: the plugin directory is whatever the kubelet used).
    ///
    /// - Throws: ``NodeAgentError`` with Velero's message when there is not exactly one match.
    package static func singlePathMatch(
        _ location: PodVolumeDirectory,
        hostPods: String,
        podUID: String
    ) throws -> String {
        let glob = location.glob(hostPods: hostPods, podUID: podUID)
        let plugins = "\(hostPods)/\(podUID)/\(location.subdirectory)"
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: plugins)) ?? []).sorted()
        let matches = entries.map { "\(plugins)/\($0)/\(location.directory)" }.filter { path in
            // Like Go's filepath.Glob: the last elements are checked with lstat, so a symlink counts.
            var info = stat()
            return lstat(path, &info) == 0
        }
        guard matches.count == 1, let path = matches.first else {
            throw NodeAgentError(
                code: .exposeFailed,
                message: "expected one matching path: \(glob), got \(matches.count)"
            )
        }
        return path
    }

    /// The path of `path` on the node: the node agent sees the pods directory at `hostPods`, the node has it at
    /// `nodePods` (the `host-pods` hostPath of the node-agent DaemonSet; Velero's `ExtractPodVolumeHostPath`).
    /// Without a DaemonSet the node agent runs on the node itself and the paths are the same.
    package static func nodePath(of path: String, hostPods: String, nodePods: String?) -> String {
        guard let nodePods, path.hasPrefix(hostPods) else { return path }
        return nodePods + path.dropFirst(hostPods.count)
    }

    /// The name of the volume holding a `filesystem` backup storage location's bucket folder in a hosting pod.
    package static let storageVolumeName = "filesystem-bsl"

    /// The hosting pod of a PodVolumeBackup or PodVolumeRestore (`pkg/exposer/pod_volume.go`
    /// `createHostingPod`): named after the load, on the client pod's node (`spec.nodeName`), mounting the pod
    /// volume's host directory at `/<load uid>` (HostToContainer propagation) and the cache PVC if any,
    /// running `/velero pod-volume backup|restore --volume-path=… --resource-timeout=… --pod-volume-backup=…`
    /// (`--pod-volume-restore=… --cache-volume-path=…`), its container privileged only with
    /// `privilegedFsBackup`. Labelled `velero.io/pod-volume-backup|restore=<load>` and no exposer pod group (Velero
    /// sets none on these pods); load affinity does not apply. A `filesystem` backup storage location's bucket
    /// folder (``PodVolumeParameters/storageFolder``) is mounted at its own path (a `hostPath` volume), Lifeboat's
    /// rule for filesystem locations.
    package func podVolumePod(_ p: PodVolumeParameters) -> JSONValue {
        let owner = p.owner
        let backup = owner.kind == .podVolumeBackup
        let volumeName = owner.uid
        let volumePath = "/" + volumeName
        var args = ["--volume-path=\(volumePath)", "--resource-timeout=\(p.operationTimeout)"]
        if backup {
            args.append("--pod-volume-backup=\(owner.name)")
        } else {
            args.append("--pod-volume-restore=\(owner.name)")
            args.append("--cache-volume-path=\(p.cacheClaimName == nil ? "" : Self.cacheVolumePath)")
        }

        var volumeMounts: [JSONValue] = [
            ["name": .string(volumeName), "mountPath": .string(volumePath), "mountPropagation": "HostToContainer"]
        ]
        var volumes: [JSONValue] = [["name": .string(volumeName), "hostPath": ["path": .string(p.hostPath)]]]
        if let cache = p.cacheClaimName {
            volumeMounts.append(Self.cacheVolumeMount)
            volumes.append(Self.cacheVolume(claimName: cache))
        }
        if let folder = p.storageFolder {
            volumeMounts.append(["name": .string(Self.storageVolumeName), "mountPath": .string(folder)])
            volumes.append(["name": .string(Self.storageVolumeName), "hostPath": ["path": .string(folder)]])
        }
        var container: JSONObject = [
            "name": .string(owner.uid), "image": .string(template.image), "imagePullPolicy": "Never",
            "command": ["/velero", "pod-volume", .string(backup ? "backup" : "restore")],
            "args": .array((args + logArguments).map(JSONValue.string)),
            "volumeMounts": .array(volumeMounts + template.volumeMounts),
            "securityContext": ["privileged": .bool(config.privilegedFsBackup)],
        ]
        if !template.env.isEmpty { container["env"] = .array(template.env) }
        if !template.envFrom.isEmpty { container["envFrom"] = .array(template.envFrom) }
        if let resources = config.podResources { container["resources"] = resources.json }
        let linux = NodeAffinity(terms: [[.init(key: "kubernetes.io/os", operator: "NotIn", values: ["windows"])]])
        let spec: JSONObject = [
            "containers": [.object(container)],
            "serviceAccountName": .string(template.serviceAccountName),
            "nodeName": .string(p.node),
            "os": ["name": "linux"],
            "affinity": linux.affinityJSON,
            "volumes": .array(volumes + template.volumes),
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "securityContext": ["runAsUser": 0],
        ]
        return hostingPod(owner: owner, group: nil, spec: spec)
    }
}
