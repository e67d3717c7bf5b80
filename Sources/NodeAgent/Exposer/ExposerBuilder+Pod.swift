import Kubernetes

extension ExposerBuilder {
    static func sortedMap(_ map: [String: String]) -> JSONValue {
        var o = JSONObject()
        for key in map.keys.sorted() { o[key] = .string(map[key] ?? "") }
        return .object(o)
    }

    /// The log flags passed on from the node agent (Velero appends the format, then the level).
    var logArguments: [String] { ["--log-format=\(template.logFormat)", "--log-level=\(template.logLevel)"] }

    /// The hosting pod shared by backup and restore exposers: `command` is `/velero data-mover backup|restore`,
    /// `args` its flags (the log flags appended), as Velero splits them.
    func pod(
        owner: LoadReference,
        group: String,
        command: [String],
        args: [String],
        claimName: String,
        volumeName: String,
        volumePath: String,
        block: Bool,
        readOnly: Bool,
        affinity: NodeAffinity?,
        securityContext: JSONValue,
        cacheClaimName: String? = nil
    ) -> JSONValue {
        // Velero's order: the exposed volume, the cache volume, then what the node agent's pod has.
        var volumeMounts: [JSONValue] = []
        var container: JSONObject = [
            "name": .string(owner.uid), "image": .string(template.image), "imagePullPolicy": "Never",
            "command": .array(command.map(JSONValue.string)),
            "args": .array((args + logArguments).map(JSONValue.string)),
        ]
        if block {
            container["volumeDevices"] = [["name": .string(volumeName), "devicePath": .string(volumePath)]]
        } else {
            var mount: JSONObject = ["name": .string(volumeName), "mountPath": .string(volumePath)]
            if readOnly { mount["readOnly"] = true }
            volumeMounts.append(.object(mount))
        }
        var cacheVolumes: [JSONValue] = []
        if let cacheClaimName {
            volumeMounts.append(Self.cacheVolumeMount)
            cacheVolumes.append(Self.cacheVolume(claimName: cacheClaimName))
        }
        container["volumeMounts"] = .array(volumeMounts + template.volumeMounts)
        if !template.env.isEmpty { container["env"] = .array(template.env) }
        if !template.envFrom.isEmpty { container["envFrom"] = .array(template.envFrom) }
        if let resources = config.podResources { container["resources"] = resources.json }

        var claim: JSONObject = ["claimName": .string(claimName)]
        if readOnly { claim["readOnly"] = true }
        var spec: JSONObject = [
            "containers": [.object(container)],
            "serviceAccountName": .string(template.serviceAccountName),
            "volumes": .array(
                [["name": .string(volumeName), "persistentVolumeClaim": .object(claim)]] + cacheVolumes
                    + template.volumes
            ),
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
        return hostingPod(owner: owner, group: group, spec: spec)
    }

    /// The pod object around `spec`: named after the load in its namespace, owned by it, labelled with
    /// `podLabels` (else the inherited labels), the load's label and `group` if any, annotated with
    /// `podAnnotations` (else the inherited ones); the priority class, DNS settings, image pull secrets and
    /// inherited tolerations added to `spec`.
    func hostingPod(owner: LoadReference, group: String?, spec: JSONObject) -> JSONValue {
        var spec = spec
        if let priority = config.priorityClassName { spec["priorityClassName"] = .string(priority) }
        if let dnsPolicy = template.dnsPolicy { spec["dnsPolicy"] = .string(dnsPolicy) }
        if let dnsConfig = template.dnsConfig { spec["dnsConfig"] = dnsConfig }
        if !template.imagePullSecrets.isEmpty { spec["imagePullSecrets"] = .array(template.imagePullSecrets) }
        if !template.tolerations.isEmpty { spec["tolerations"] = .array(template.tolerations) }
        var labels = config.podLabels ?? template.labels
        if let group { labels[LoadLabels.exposerPodGroup] = group }
        labels[owner.kind.ownerLabel] = owner.name
        let annotations = config.podAnnotations ?? template.annotations
        var metadata: JSONObject = [
            "name": .string(owner.name), "namespace": .string(owner.namespace), "labels": Self.sortedMap(labels),
            "ownerReferences": [owner.ownerReference],
        ]
        if !annotations.isEmpty { metadata["annotations"] = Self.sortedMap(annotations) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": .object(spec)]
    }
}
