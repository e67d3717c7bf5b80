import Kubernetes

extension ExposerBuilder {
    static func sortedMap(_ map: [String: String]) -> JSONValue {
        var o = JSONObject()
        for key in map.keys.sorted() { o[key] = .string(map[key] ?? "") }
        return .object(o)
    }

    /// The hosting pod shared by backup and restore exposers.
    func pod(
        owner: LoadReference, group: String, command: [String], claimName: String, volumeName: String,
        volumePath: String, block: Bool, readOnly: Bool, affinity: NodeAffinity?, securityContext: JSONValue
    ) -> JSONValue {
        var labels = config.podLabels ?? template.labels
        labels[LoadLabels.exposerPodGroup] = group
        labels[owner.kind.ownerLabel] = owner.name
        let annotations = config.podAnnotations ?? template.annotations

        var volumeMounts = template.volumeMounts
        var container: JSONObject = [
            "name": .string(owner.uid), "image": .string(template.image), "imagePullPolicy": "Never",
            "command": .array((command + ["--log-level=\(template.logLevel)", "--log-format=\(template.logFormat)"]).map(JSONValue.string)),
        ]
        if block {
            container["volumeDevices"] = [["name": .string(volumeName), "devicePath": .string(volumePath)]]
        } else {
            var mount: JSONObject = ["name": .string(volumeName), "mountPath": .string(volumePath)]
            if readOnly { mount["readOnly"] = true }
            volumeMounts.append(.object(mount))
        }
        container["volumeMounts"] = .array(volumeMounts)
        if !template.env.isEmpty { container["env"] = .array(template.env) }
        if !template.envFrom.isEmpty { container["envFrom"] = .array(template.envFrom) }
        if let resources = config.podResources { container["resources"] = resources.json }

        var claim: JSONObject = ["claimName": .string(claimName)]
        if readOnly { claim["readOnly"] = true }
        var spec: JSONObject = [
            "containers": [.object(container)],
            "serviceAccountName": .string(template.serviceAccountName),
            "volumes": .array(template.volumes + [["name": .string(volumeName), "persistentVolumeClaim": .object(claim)]]),
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "securityContext": securityContext,
            "topologySpreadConstraints": [
                [
                    "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": ["matchLabels": [LoadLabels.exposerPodGroup: .string(group)]],
                ]
            ],
        ]
        if let affinity { spec["affinity"] = affinity.affinityJSON }
        if let priority = config.priorityClassName { spec["priorityClassName"] = .string(priority) }
        if let dnsPolicy = template.dnsPolicy { spec["dnsPolicy"] = .string(dnsPolicy) }
        if let dnsConfig = template.dnsConfig { spec["dnsConfig"] = dnsConfig }
        if !template.imagePullSecrets.isEmpty { spec["imagePullSecrets"] = .array(template.imagePullSecrets) }

        var metadata: JSONObject = [
            "name": .string(owner.name), "namespace": .string(owner.namespace), "labels": Self.sortedMap(labels),
            "ownerReferences": [owner.ownerReference],
        ]
        if !annotations.isEmpty { metadata["annotations"] = Self.sortedMap(annotations) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": .object(spec)]
    }
}
