public import Kubernetes

extension ExposerBuilder {
    /// `velero.io/exposer-pod-group` value of file-system backup/restore hosting pods.
    public static let podVolumeExposer = "pod-volume-exposer"

    /// The hosting pod of a PodVolumeBackup or PodVolumeRestore (`pkg/exposer/pod_volume.go`): named after
    /// the load, pinned to the node of the pod whose volume it reads or writes, mounting the node's pod
    /// volumes (`hostPods`) at `/host_pods`, running `/velero pod-volume backup|restore`, privileged when
    /// `privilegedFsBackup` is set. Load affinity does not apply.
    ///
    /// - Parameters:
    ///   - owner: the PodVolumeBackup or PodVolumeRestore.
    ///   - node: the node of the client pod.
    ///   - hostPods: the host directory holding the node's pod volumes (`--host-pods`).
    public func podVolumePod(owner: LoadReference, node: String, hostPods: String) -> JSONValue {
        let backup = owner.kind == .podVolumeBackup
        let flag = backup ? "--pod-volume-backup=\(owner.name)" : "--pod-volume-restore=\(owner.name)"
        var labels = config.podLabels ?? template.labels
        labels[LoadLabels.exposerPodGroup] = Self.podVolumeExposer
        labels[owner.kind.ownerLabel] = owner.name
        let annotations = config.podAnnotations ?? template.annotations
        var container: JSONObject = [
            "name": .string(owner.uid), "image": .string(template.image), "imagePullPolicy": "Never",
            "command": .array(
                (["/velero", "pod-volume", backup ? "backup" : "restore", flag, "--resource-timeout=10m0s"]
                    + ["--log-level=\(template.logLevel)", "--log-format=\(template.logFormat)"]).map(JSONValue.string)),
            "volumeMounts": .array(
                template.volumeMounts + [["name": "host-pods", "mountPath": "/host_pods", "mountPropagation": "HostToContainer"]]),
        ]
        if !template.env.isEmpty { container["env"] = .array(template.env) }
        if let resources = config.podResources { container["resources"] = resources.json }
        if config.privilegedFsBackup { container["securityContext"] = ["privileged": true] }
        var spec: JSONObject = [
            "containers": [.object(container)],
            "serviceAccountName": .string(template.serviceAccountName),
            "nodeSelector": ["kubernetes.io/hostname": .string(node)],
            "volumes": .array(template.volumes + [["name": "host-pods", "hostPath": ["path": .string(hostPods)]]]),
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "securityContext": ["runAsUser": 0],
        ]
        if let priority = config.priorityClassName { spec["priorityClassName"] = .string(priority) }
        var metadata: JSONObject = [
            "name": .string(owner.name), "namespace": .string(owner.namespace), "labels": Self.sortedMap(labels),
            "ownerReferences": [owner.ownerReference],
        ]
        if !annotations.isEmpty { metadata["annotations"] = Self.sortedMap(annotations) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": .object(spec)]
    }
}
