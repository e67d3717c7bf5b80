// Strategies transcribed from the `patchStrategy` / `patchMergeKey` tags of k8s.io/api (core/v1, apps/v1,
// batch/v1, policy/v1) and k8s.io/apimachinery (ObjectMeta).

extension PatchSchema {
    /// `metadata`: finalizers merge as a set, ownerReferences merge by uid.
    public static let objectMeta = PatchSchema(fields: [
        "metadata.finalizers": .mergePrimitives,
        "metadata.ownerReferences": .merge(key: "uid"),
    ])

    /// A `Container` (also used for init and ephemeral containers).
    public static let container = PatchSchema(fields: [
        "ports": .merge(key: "containerPort"),
        "env": .merge(key: "name"),
        "volumeMounts": .merge(key: "mountPath"),
        "volumeDevices": .merge(key: "devicePath"),
    ])

    /// A `PodSpec`. Lists not named here (tolerations, readinessGates, …) are replaced.
    public static let podSpec: PatchSchema = {
        var s = PatchSchema(fields: [
            "volumes": .mergeRetainingKeys(key: "name"),
            "initContainers": .merge(key: "name"),
            "containers": .merge(key: "name"),
            "ephemeralContainers": .merge(key: "name"),
            "imagePullSecrets": .merge(key: "name"),
            "hostAliases": .merge(key: "ip"),
            "topologySpreadConstraints": .merge(key: "topologyKey"),
            "resourceClaims": .mergeRetainingKeys(key: "name"),
            "schedulingGates": .merge(key: "name"),
        ])
        s.mount(container, at: "initContainers")
        s.mount(container, at: "containers")
        s.mount(container, at: "ephemeralContainers")
        return s
    }()

    /// A `PodStatus`.
    public static let podStatus = PatchSchema(fields: [
        "conditions": .merge(key: "type"),
        "podIPs": .merge(key: "ip"),
        "hostIPs": .merge(key: "ip"),
        "resourceClaimStatuses": .mergeRetainingKeys(key: "name"),
    ])

    /// `status.conditions` merged by type (Deployment, Job, Namespace, PVC, …).
    public static let statusConditions = PatchSchema(fields: ["status.conditions": .merge(key: "type")])
}

extension PatchSchemaRegistry {
    /// The built-in kinds: workloads with their pod templates, Pod, Node, Service, ServiceAccount and
    /// the other core, apps, batch, rbac, storage, scheduling, coordination, networking, policy and
    /// apiextensions kinds (object metadata only when they declare no list strategies).
    public static let builtIn: PatchSchemaRegistry = {
        var r = PatchSchemaRegistry()
        let meta = PatchSchema.objectMeta
        let template = meta.mounting(.podSpec, at: "spec.template.spec").mounting(.statusConditions, at: "")

        r.register(meta.mounting(.podSpec, at: "spec").mounting(.podStatus, at: "status"), group: "", kind: "Pod")
        r.register(meta.mounting(.podSpec, at: "template.spec"), group: "", kind: "PodTemplate")
        r.register(template, group: "", kind: "ReplicationController")
        var deployment = template
        deployment.set(.retainKeys, at: "spec.strategy")
        r.register(deployment, group: "apps", kind: "Deployment")
        for kind in ["ReplicaSet", "StatefulSet", "DaemonSet"] { r.register(template, group: "apps", kind: kind) }
        r.register(template, group: "batch", kind: "Job")
        r.register(
            meta.mounting(.podSpec, at: "spec.jobTemplate.spec.template.spec"),
            group: "batch",
            kind: "CronJob"
        )
        r.register(
            meta.mounting(
                PatchSchema(fields: [
                    "spec.podCIDRs": .mergePrimitives,
                    "status.conditions": .merge(key: "type"),
                    "status.addresses": .merge(key: "type"),
                ]),
                at: ""
            ),
            group: "",
            kind: "Node"
        )
        r.register(
            meta.mounting(
                PatchSchema(fields: ["spec.ports": .merge(key: "port"), "status.conditions": .merge(key: "type")]),
                at: ""
            ),
            group: "",
            kind: "Service"
        )
        r.register(
            meta.mounting(PatchSchema(fields: ["secrets": .merge(key: "name")]), at: ""),
            group: "",
            kind: "ServiceAccount"
        )
        let withConditions = meta.mounting(.statusConditions, at: "")
        for kind in ["Namespace", "PersistentVolumeClaim"] { r.register(withConditions, group: "", kind: kind) }
        r.register(withConditions, group: "policy", kind: "PodDisruptionBudget")

        let metaOnly: [(String, [String])] = [
            (
                "",
                [
                    "ConfigMap", "Secret", "Endpoints", "Event", "LimitRange", "ResourceQuota", "PersistentVolume",
                    "Binding",
                ]
            ),
            ("apps", ["ControllerRevision"]),
            ("rbac.authorization.k8s.io", ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]),
            ("storage.k8s.io", ["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment"]),
            ("scheduling.k8s.io", ["PriorityClass"]),
            ("coordination.k8s.io", ["Lease"]),
            ("networking.k8s.io", ["Ingress", "IngressClass", "NetworkPolicy"]),
            ("discovery.k8s.io", ["EndpointSlice"]),
            ("events.k8s.io", ["Event"]),
            ("autoscaling", ["HorizontalPodAutoscaler"]),
            ("apiextensions.k8s.io", ["CustomResourceDefinition"]),
            ("admissionregistration.k8s.io", ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]),
            ("apiregistration.k8s.io", ["APIService"]),
        ]
        for (group, kinds) in metaOnly {
            for kind in kinds { r.register(meta, group: group, kind: kind) }
        }
        return r
    }()
}
