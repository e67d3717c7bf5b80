public import Kubernetes

extension ExposerBuilder {
    /// Parameters of a PodVolumeBackup's or PodVolumeRestore's exposure.
    public struct PodVolumeParameters: Sendable, Hashable {
        /// The PodVolumeBackup or PodVolumeRestore.
        public var owner: LoadReference
        /// The node of the client pod (whose volume is read or written); the hosting pod goes there.
        public var node: String
        /// The pod volume's directory on the host (see ``ExposerBuilder/podVolumeHostPath(hostPods:podUID:volume:claim:)``).
        public var hostPath: String
        /// Velero's `--resource-timeout` (e.g. "10m0s").
        public var operationTimeout: String
        /// The cache PVC mounted at ``ExposerBuilder/cacheVolumePath`` (restores only), if any.
        public var cacheClaimName: String?

        public init(
            owner: LoadReference, node: String, hostPath: String, operationTimeout: String = "10m0s",
            cacheClaimName: String? = nil
        ) {
            self.owner = owner
            self.node = node
            self.hostPath = hostPath
            self.operationTimeout = operationTimeout
            self.cacheClaimName = cacheClaimName
        }
    }

    /// The host directory of a pod volume as the kubelet lays it out: `<hostPods>/<pod uid>/volumes/<plugin>/<dir>`
    /// — a PVC's volume is `kubernetes.io~csi/<pv>/mount`, any other volume `kubernetes.io~empty-dir/<name>`
    /// (Velero finds the plugin directory with a glob on the node; the node agent here has no host access).
    ///
    /// - Parameters:
    ///   - hostPods: the host directory of pod volumes (`--host-pods`).
    ///   - podUID: the client pod's UID.
    ///   - volume: the volume's entry in the client pod's `spec.volumes`.
    ///   - claim: the PVC the volume refers to, if any.
    /// - Returns: the path, or nil when the volume's PVC is not bound.
    public static func podVolumeHostPath(hostPods: String, podUID: String, volume: JSONValue, claim: JSONValue?) -> String? {
        let base = "\(hostPods)/\(podUID)/volumes"
        guard volume["persistentVolumeClaim"] != nil else {
            return "\(base)/kubernetes.io~empty-dir/\(volume["name"]?.stringValue ?? "")"
        }
        guard let pv = claim?["spec"]?["volumeName"]?.stringValue, !pv.isEmpty else { return nil }
        return "\(base)/kubernetes.io~csi/\(pv)/mount"
    }

    /// The hosting pod of a PodVolumeBackup or PodVolumeRestore (`pkg/exposer/pod_volume.go`
    /// `createHostingPod`): named after the load, on the client pod's node (`spec.nodeName`), mounting the pod
    /// volume's host directory at `/<load uid>` (HostToContainer propagation) and the cache PVC if any,
    /// running `/velero pod-volume backup|restore --volume-path=… --resource-timeout=… --pod-volume-backup=…`
    /// (`--pod-volume-restore=… --cache-volume-path=…`), its container privileged only with
    /// `privilegedFsBackup`. Labelled `velero.io/pod-volume-backup|restore=<load>` and no exposer pod group (Velero
    /// sets none on these pods); load affinity does not apply.
    public func podVolumePod(_ p: PodVolumeParameters) -> JSONValue {
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
