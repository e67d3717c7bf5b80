import BackupEngine
import Foundation
import Kubernetes
import VeleroAPI

/// What `lifeboat install` creates, in order, as Velero 1.18's `velero install` does (`pkg/install/resources.go`
/// `AllResources`, `deployment.go`, `daemonset.go`): the CRDs, the namespace (Pod Security `privileged`), the
/// `velero` ServiceAccount bound to `cluster-admin` (or, with ``Options/leastPrivilege``, to Lifeboat's
/// least-privilege roles), the `cloud-credentials` Secret, the `default` BackupStorageLocation, the `velero`
/// Deployment running `lifeboat server`, and the `node-agent` DaemonSet running `lifeboat node-agent server`.
///
/// Names, labels (`component: velero`), volumes, mounts and environment are Velero's, so that tools and habits
/// built on a Velero install (`kubectl logs deploy/velero`, the `host-pods` hostPath, `/credentials/cloud`) find
/// them; the image is Lifeboat's and its entrypoint `/lifeboat`.
struct InstallManifests {
    struct Options {
        var namespace = "velero"
        var image = InstallManifests.defaultImage
        var provider: String?
        var bucket: String?
        var prefix: String?
        var locationConfig: [String: String] = [:]
        var caCert: Data?
        /// The `--secret-file` contents; nil with `--no-secret`.
        var secretData: Data?
        var noDefaultBackupLocation = false
        var useNodeAgent = false
        var privilegedNodeAgent = false
        var nodeAgentConfigMap: String?
        var backupRepositoryConfigMap: String?
        var defaultVolumesToFsBackup = false
        var uploaderType = "restic"
        var features: [String] = []
        var podAnnotations: [String: String] = [:]
        var podLabels: [String: String] = [:]
        var serviceAccountAnnotations: [String: String] = [:]
        /// `--service-account-name`: an existing account; then no account and no binding are created.
        var serviceAccountName: String?
        var serverResources = Resources(
            cpuRequest: "500m",
            memoryRequest: "128Mi",
            cpuLimit: "1000m",
            memoryLimit: "512Mi"
        )
        var nodeAgentResources = Resources()
        var kubeletRootDir = "/var/lib/kubelet"
        var nodeAgentDisableHostPath = false
        var defaultRepoMaintainFrequency: String?
        var garbageCollectionFrequency: String?
        var podVolumeOperationTimeout: String?
        var scheduleSkipImmediately = false
        var concurrentBackups: Int?
        var serverPriorityClassName: String?
        var nodeAgentPriorityClassName: String?
        /// `--least-privilege` (Lifeboat's): a ClusterRole that reads every resource and runs hook commands, and a
        /// Role with every right in the install namespace, instead of `cluster-admin`.
        var leastPrivilege = false
        /// `--metrics-address` (Lifeboat's): where the server serves `/metrics`, when not Velero's `:8085`.
        var metricsAddress: String?
    }

    /// CPU and memory requests and limits as Velero's install flags give them; "0" or empty leaves one out.
    struct Resources: Equatable {
        var cpuRequest = "0"
        var memoryRequest = "0"
        var cpuLimit = "0"
        var memoryLimit = "0"

        /// The container's `resources`, nil when nothing is set.
        var json: JSONValue? {
            func pair(_ cpu: String, _ memory: String) -> JSONValue? {
                var object: JSONObject = [:]
                if Self.isSet(cpu) { object["cpu"] = .string(cpu) }
                if Self.isSet(memory) { object["memory"] = .string(memory) }
                return object.isEmpty ? nil : .object(object)
            }
            var resources: JSONObject = [:]
            if let limits = pair(cpuLimit, memoryLimit) { resources["limits"] = limits }
            if let requests = pair(cpuRequest, memoryRequest) { resources["requests"] = requests }
            return resources.isEmpty ? nil : .object(resources)
        }

        static func isSet(_ quantity: String) -> Bool { !quantity.isEmpty && quantity != "0" }
    }

    /// The image the manifests name unless `--image` is given (the `Dockerfile` builds it).
    static var defaultImage: String { "\(RestoreWaitContainer.lifeboatImage):v\(LifeboatVersion.current)" }

    /// The labels of everything install creates (Velero's `install.Labels()`); uninstall deletes CRDs by them.
    static let labels: JSONValue = ["component": "velero"]
    /// The Secret the server and node agents read cloud credentials from.
    static let credentialsSecret = "cloud-credentials"
    /// The ServiceAccount install creates.
    static let serviceAccount = "velero"

    let options: Options

    /// The ClusterRoleBinding's (and least-privilege ClusterRole's) name: `velero`, or `velero-<namespace>`.
    static func clusterBindingName(namespace: String) -> String {
        namespace == "velero" ? "velero" : "velero-\(namespace)"
    }

    /// Every object, CRDs first.
    var all: [JSONValue] { Self.crds + objects }

    /// The velero.io CRDs as install applies them.
    static var crds: [JSONValue] { VeleroCRDs.all.map(\.value) }

    /// Everything but the CRDs, in creation order.
    var objects: [JSONValue] {
        var result: [JSONValue] = [namespaceObject]
        if options.serviceAccountName == nil {
            if options.leastPrivilege { result += leastPrivilegeRoles }
            result.append(clusterRoleBinding)
            result.append(serviceAccountObject)
        }
        if let secret = secretObject { result.append(secret) }
        if let location = backupStorageLocation { result.append(location) }
        result.append(deployment)
        if options.useNodeAgent { result.append(daemonSet) }
        return result
    }

    private func metadata(_ name: String, namespaced: Bool = true) -> JSONValue {
        var metadata: JSONValue = ["name": .string(name)]
        if namespaced { metadata["namespace"] = .string(options.namespace) }
        metadata["labels"] = Self.labels
        return metadata
    }

    var namespaceObject: JSONValue {
        var metadata = metadata(options.namespace, namespaced: false)
        for mode in ["enforce", "audit", "warn"] {
            metadata["labels"]?["pod-security.kubernetes.io/\(mode)"] = "privileged"
            metadata["labels"]?["pod-security.kubernetes.io/\(mode)-version"] = "latest"
        }
        return ["apiVersion": "v1", "kind": "Namespace", "metadata": metadata]
    }

    var clusterRoleBinding: JSONValue {
        let name = Self.clusterBindingName(namespace: options.namespace)
        return [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": metadata(name, namespaced: false),
            "subjects": [
                [
                    "kind": "ServiceAccount", "namespace": .string(options.namespace),
                    "name": .string(Self.serviceAccount),
                ]
            ],
            "roleRef": [
                "kind": "ClusterRole", "name": .string(options.leastPrivilege ? name : "cluster-admin"),
                "apiGroup": "rbac.authorization.k8s.io",
            ],
        ]
    }

    /// With `--least-privilege`: a ClusterRole (named as the binding) that reads every resource of every group
    /// (backups), creates `pods/exec` (hooks) and reads nodes and the API's discovery; and, in the install
    /// namespace, a Role `velero` with every right and its RoleBinding (the velero.io resources, hosting pods,
    /// PVCs, Secrets, Leases, Events). Restores need write access to what they restore: bind such a ClusterRole to
    /// the `velero` ServiceAccount for the kinds you restore (docs/cli.md, "Install").
    var leastPrivilegeRoles: [JSONValue] {
        let name = Self.clusterBindingName(namespace: options.namespace)
        let clusterRole: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": metadata(name, namespaced: false),
            "rules": [
                ["apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]],
                ["apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]],
                ["apiGroups": ["velero.io"], "resources": ["*"], "verbs": ["*"]],
                ["nonResourceURLs": ["*"], "verbs": ["get"]],
            ],
        ]
        let role: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": metadata("velero"),
            "rules": [["apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]]],
        ]
        let binding: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": metadata("velero"),
            "subjects": [
                [
                    "kind": "ServiceAccount", "namespace": .string(options.namespace),
                    "name": .string(Self.serviceAccount),
                ]
            ],
            "roleRef": ["kind": "Role", "name": "velero", "apiGroup": "rbac.authorization.k8s.io"],
        ]
        return [clusterRole, role, binding]
    }

    var serviceAccountObject: JSONValue {
        var metadata = metadata(Self.serviceAccount)
        if !options.serviceAccountAnnotations.isEmpty {
            metadata["annotations"] = Self.object(options.serviceAccountAnnotations)
        }
        return ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata]
    }

    var secretObject: JSONValue? {
        guard let data = options.secretData else { return nil }
        return [
            "apiVersion": "v1", "kind": "Secret", "metadata": metadata(Self.credentialsSecret),
            "type": "Opaque", "data": ["cloud": .string(data.base64EncodedString())],
        ]
    }

    var backupStorageLocation: JSONValue? {
        guard !options.noDefaultBackupLocation, let provider = options.provider, let bucket = options.bucket else {
            return nil
        }
        var objectStorage: JSONValue = ["bucket": .string(bucket)]
        if let prefix = options.prefix, !prefix.isEmpty { objectStorage["prefix"] = .string(prefix) }
        if let caCert = options.caCert { objectStorage["caCert"] = .string(caCert.base64EncodedString()) }
        var spec: JSONValue = ["provider": .string(provider), "objectStorage": objectStorage]
        if !options.locationConfig.isEmpty { spec["config"] = Self.object(options.locationConfig) }
        spec["default"] = true
        return [
            "apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": metadata("default"),
            "spec": spec,
        ]
    }

    /// The pull policy Velero derives from the image: `IfNotPresent` for a tag other than `latest`, else `Always`.
    var pullPolicy: String {
        let parts = options.image.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[1] != "latest" ? "IfNotPresent" : "Always"
    }

    /// `lifeboat server`'s arguments (only the flags whose values differ from the server's defaults, as Velero).
    var serverArguments: [String] {
        var arguments = ["server"]
        if !options.features.isEmpty { arguments.append("--features=\(options.features.joined(separator: ","))") }
        if options.defaultVolumesToFsBackup { arguments.append("--default-volumes-to-fs-backup=true") }
        if options.scheduleSkipImmediately { arguments.append("--schedule-skip-immediately=true") }
        if !options.uploaderType.isEmpty { arguments.append("--uploader-type=\(options.uploaderType)") }
        if let value = options.defaultRepoMaintainFrequency {
            arguments.append("--default-repo-maintain-frequency=\(value)")
        }
        if let value = options.garbageCollectionFrequency {
            arguments.append("--garbage-collection-frequency=\(value)")
        }
        if let value = options.podVolumeOperationTimeout { arguments.append("--fs-backup-timeout=\(value)") }
        if let name = options.backupRepositoryConfigMap { arguments.append("--backup-repository-configmap=\(name)") }
        if let count = options.concurrentBackups, count > 0 { arguments.append("--concurrent-backups=\(count)") }
        if let address = options.metricsAddress { arguments.append("--metrics-address=\(address)") }
        return arguments
    }

    /// `lifeboat node-agent server`'s arguments.
    var nodeAgentArguments: [String] {
        var arguments = ["node-agent", "server"]
        if !options.features.isEmpty { arguments.append("--features=\(options.features.joined(separator: ","))") }
        if let name = options.nodeAgentConfigMap { arguments.append("--node-agent-configmap=\(name)") }
        if let name = options.backupRepositoryConfigMap { arguments.append("--backup-repository-configmap=\(name)") }
        return arguments
    }

    /// What both pod templates get to reach the store: with a credentials Secret, Velero's `cloud-credentials`
    /// volume at `/credentials` and the variables that point the cloud SDKs at `/credentials/cloud`; for a
    /// `filesystem` location, its folder at the same path (a folder every node sees: an NFS mount, say).
    private func addStoreAccess(volumes: inout [JSONValue], mounts: inout [JSONValue], environment: inout [JSONValue]) {
        if options.secretData != nil {
            volumes.append(
                [
                    "name": "cloud-credentials",
                    "secret": ["defaultMode": 0o444, "secretName": .string(Self.credentialsSecret)],
                ]
            )
            mounts.append(["name": "cloud-credentials", "mountPath": "/credentials"])
            for variable in [
                "GOOGLE_APPLICATION_CREDENTIALS", "AWS_SHARED_CREDENTIALS_FILE", "AZURE_CREDENTIALS_FILE",
                "ALIBABA_CLOUD_CREDENTIALS_FILE",
            ] {
                environment.append(["name": .string(variable), "value": "/credentials/cloud"])
            }
        }
        if !options.noDefaultBackupLocation, options.provider == "filesystem", let bucket = options.bucket {
            volumes.append([
                "name": "backup-location", "hostPath": ["path": .string(bucket), "type": "DirectoryOrCreate"],
            ])
            mounts.append(["name": "backup-location", "mountPath": .string(bucket)])
        }
    }

    /// Both pod templates' nodes: not Windows (Velero's required node affinity).
    private static let linuxAffinity: JSONValue = [
        "nodeAffinity": [
            "requiredDuringSchedulingIgnoredDuringExecution": [
                "nodeSelectorTerms": [
                    ["matchExpressions": [["key": "kubernetes.io/os", "operator": "NotIn", "values": ["windows"]]]]
                ]
            ]
        ]
    ]

    /// The server's metrics port: that of `--metrics-address` when it names one, else Velero's 8085.
    var metricsPort: Int {
        guard let port = options.metricsAddress.flatMap(MetricsServer.Address.init(parsing:))?.port, port > 0
        else { return 8085 }
        return port
    }

    var deployment: JSONValue {
        var environment: [JSONValue] = [
            ["name": "VELERO_SCRATCH_DIR", "value": "/scratch"],
            ["name": "VELERO_NAMESPACE", "valueFrom": ["fieldRef": ["fieldPath": "metadata.namespace"]]],
            ["name": "LD_LIBRARY_PATH", "value": "/plugins"],
        ]
        var mounts: [JSONValue] = [
            ["name": "plugins", "mountPath": "/plugins"], ["name": "scratch", "mountPath": "/scratch"],
        ]
        var volumes: [JSONValue] = [["name": "plugins", "emptyDir": [:]], ["name": "scratch", "emptyDir": [:]]]
        addStoreAccess(volumes: &volumes, mounts: &mounts, environment: &environment)
        var container: JSONValue = [
            "name": "velero", "image": .string(options.image),
            "ports": [["name": "metrics", "containerPort": .int(Int64(metricsPort))]],
            "imagePullPolicy": .string(pullPolicy),
            "command": ["/lifeboat"], "args": .array(serverArguments.map { .string($0) }),
            "volumeMounts": .array(mounts), "env": .array(environment),
        ]
        if let resources = options.serverResources.json { container["resources"] = resources }
        var podSpec: JSONValue = [
            "restartPolicy": "Always",
            "serviceAccountName": .string(options.serviceAccountName ?? Self.serviceAccount),
            "os": ["name": "linux"], "affinity": Self.linuxAffinity, "containers": [container],
            "volumes": .array(volumes),
        ]
        if let priority = options.serverPriorityClassName { podSpec["priorityClassName"] = .string(priority) }
        var podLabels = options.podLabels
        podLabels["component"] = "velero"
        podLabels["deploy"] = "velero"
        var annotations = [
            "prometheus.io/scrape": "true", "prometheus.io/port": String(metricsPort), "prometheus.io/path": "/metrics",
        ]
        annotations.merge(options.podAnnotations) { _, user in user }
        return [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata("velero"),
            "spec": [
                "selector": ["matchLabels": ["deploy": "velero"]],
                "template": [
                    "metadata": ["labels": Self.object(podLabels), "annotations": Self.object(annotations)],
                    "spec": podSpec,
                ],
            ],
        ]
    }

    var daemonSet: JSONValue {
        var volumes: [JSONValue] = []
        var mounts: [JSONValue] = []
        if !options.nodeAgentDisableHostPath {
            let root =
                options.kubeletRootDir.hasSuffix("/")
                ? String(options.kubeletRootDir.dropLast()) : options.kubeletRootDir
            volumes += [
                ["name": "host-pods", "hostPath": ["path": .string("\(root)/pods")]],
                ["name": "host-plugins", "hostPath": ["path": .string("\(root)/plugins")]],
            ]
            mounts += [
                ["name": "host-pods", "mountPath": "/host_pods", "mountPropagation": "HostToContainer"],
                [
                    "name": "host-plugins", "mountPath": "/var/lib/kubelet/plugins",
                    "mountPropagation": "HostToContainer",
                ],
            ]
        }
        volumes.append(["name": "scratch", "emptyDir": [:]])
        mounts.append(["name": "scratch", "mountPath": "/scratch"])
        var environment: [JSONValue] = [
            ["name": "NODE_NAME", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]],
            ["name": "VELERO_NAMESPACE", "valueFrom": ["fieldRef": ["fieldPath": "metadata.namespace"]]],
            ["name": "VELERO_SCRATCH_DIR", "value": "/scratch"],
        ]
        addStoreAccess(volumes: &volumes, mounts: &mounts, environment: &environment)
        var container: JSONValue = [
            "name": "node-agent", "image": .string(options.image),
            "ports": [["name": "metrics", "containerPort": 8085]], "imagePullPolicy": .string(pullPolicy),
            "command": ["/lifeboat"], "args": .array(nodeAgentArguments.map { .string($0) }),
            "securityContext": ["privileged": .bool(options.privilegedNodeAgent)],
            "volumeMounts": .array(mounts), "env": .array(environment),
        ]
        if let resources = options.nodeAgentResources.json { container["resources"] = resources }
        var podSpec: JSONValue = [
            "serviceAccountName": .string(options.serviceAccountName ?? Self.serviceAccount),
            "securityContext": ["runAsUser": 0], "volumes": .array(volumes), "containers": [container],
            "affinity": Self.linuxAffinity,
        ]
        if let priority = options.nodeAgentPriorityClassName { podSpec["priorityClassName"] = .string(priority) }
        var podLabels = options.podLabels
        podLabels["component"] = "velero"
        podLabels["name"] = "node-agent"
        podLabels["role"] = "node-agent"
        var template: JSONValue = ["metadata": ["labels": Self.object(podLabels)], "spec": podSpec]
        if !options.podAnnotations.isEmpty {
            template["metadata"]?["annotations"] = Self.object(options.podAnnotations)
        }
        return [
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata("node-agent"),
            "spec": ["selector": ["matchLabels": ["name": "node-agent"]], "template": template],
        ]
    }

    /// A string map as a JSON object, keys sorted (Go's map encoding).
    static func object(_ map: [String: String]) -> JSONValue {
        var object: JSONObject = [:]
        for key in map.keys.sorted() { object[key] = .string(map[key] ?? "") }
        return .object(object)
    }
}
