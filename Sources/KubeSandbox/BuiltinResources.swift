/// The built-in resource types the sandbox serves, in discovery order.
enum BuiltinResources {
    static let all: [ResourceType] = core + apps + others

    private static let core: [ResourceType] = [
        .builtin("", "v1", "configmaps", "ConfigMap", short: ["cm"]),
        .builtin("", "v1", "endpoints", "Endpoints", short: ["ep"]),
        .builtin("", "v1", "events", "Event", short: ["ev"]),
        .builtin("", "v1", "limitranges", "LimitRange", short: ["limits"]),
        .builtin(
            "",
            "v1",
            "namespaces",
            "Namespace",
            namespaced: false,
            short: ["ns"],
            status: true,
            verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
        ),
        .builtin("", "v1", "nodes", "Node", namespaced: false, short: ["no"], status: true),
        .builtin("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", short: ["pvc"], status: true),
        .builtin("", "v1", "persistentvolumes", "PersistentVolume", namespaced: false, short: ["pv"], status: true),
        .builtin("", "v1", "pods", "Pod", short: ["po"], categories: ["all"], status: true),
        .builtin("", "v1", "podtemplates", "PodTemplate"),
        .builtin(
            "",
            "v1",
            "replicationcontrollers",
            "ReplicationController",
            short: ["rc"],
            categories: ["all"],
            status: true,
            scale: true
        ),
        .builtin("", "v1", "resourcequotas", "ResourceQuota", short: ["quota"], status: true),
        .builtin("", "v1", "secrets", "Secret"),
        .builtin("", "v1", "serviceaccounts", "ServiceAccount", short: ["sa"]),
        .builtin("", "v1", "services", "Service", short: ["svc"], categories: ["all"], status: true),
    ]

    private static let apps: [ResourceType] = [
        .builtin("apps", "v1", "controllerrevisions", "ControllerRevision"),
        .builtin("apps", "v1", "daemonsets", "DaemonSet", short: ["ds"], categories: ["all"], status: true),
        .builtin(
            "apps",
            "v1",
            "deployments",
            "Deployment",
            short: ["deploy"],
            categories: ["all"],
            status: true,
            scale: true
        ),
        .builtin(
            "apps",
            "v1",
            "replicasets",
            "ReplicaSet",
            short: ["rs"],
            categories: ["all"],
            status: true,
            scale: true
        ),
        .builtin(
            "apps",
            "v1",
            "statefulsets",
            "StatefulSet",
            short: ["sts"],
            categories: ["all"],
            status: true,
            scale: true
        ),
    ]

    private static let others: [ResourceType] = [
        .builtin(
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            short: ["hpa"],
            categories: ["all"],
            status: true
        ),
        .builtin("batch", "v1", "cronjobs", "CronJob", short: ["cj"], categories: ["all"], status: true),
        .builtin("batch", "v1", "jobs", "Job", categories: ["all"], status: true),
        .builtin("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced: false),
        .builtin("networking.k8s.io", "v1", "ingresses", "Ingress", short: ["ing"], status: true),
        .builtin("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short: ["netpol"]),
        .builtin("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short: ["pdb"], status: true),
        .builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced: false),
        .builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced: false),
        .builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
        .builtin("rbac.authorization.k8s.io", "v1", "roles", "Role"),
        .builtin("storage.k8s.io", "v1", "csidrivers", "CSIDriver", namespaced: false),
        .builtin("storage.k8s.io", "v1", "csinodes", "CSINode", namespaced: false),
        .builtin("storage.k8s.io", "v1", "storageclasses", "StorageClass", namespaced: false, short: ["sc"]),
        .builtin("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", namespaced: false, status: true),
        .builtin(
            "admissionregistration.k8s.io",
            "v1",
            "mutatingwebhookconfigurations",
            "MutatingWebhookConfiguration",
            namespaced: false
        ),
        .builtin(
            "admissionregistration.k8s.io",
            "v1",
            "validatingwebhookconfigurations",
            "ValidatingWebhookConfiguration",
            namespaced: false
        ),
        .builtin(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            namespaced: false,
            short: ["crd", "crds"],
            categories: ["api-extensions"],
            status: true
        ),
        .builtin("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", namespaced: false, short: ["pc"]),
        .builtin("coordination.k8s.io", "v1", "leases", "Lease"),
    ]

    /// Group names in discovery order.
    static var groupOrder: [String] {
        var seen: [String] = []
        for type in all where !type.group.isEmpty && !seen.contains(type.group) { seen.append(type.group) }
        return seen
    }
}
