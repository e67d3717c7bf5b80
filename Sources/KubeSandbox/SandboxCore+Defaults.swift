import Foundation
import Kubernetes

extension SandboxCore {
    /// Server-side defaults and validation applied on create (what admission and defaulting do).
    func applyCreateDefaults(_ type: ResourceType, _ object: inout JSONValue, now: String) throws(APIStatus) {
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        switch (type.group, type.plural) {
        case ("", "namespaces"):
            object[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = .string(name)
            if object["spec"]?["finalizers"] == nil { object[path: ["spec", "finalizers"]] = ["kubernetes"] }
            object["status"] = ["phase": "Active"]
        case ("", "secrets"):
            if case .object(let stringData)? = object["stringData"] {
                var data = object["data"]?.objectValue ?? [:]
                for (key, value) in stringData {
                    data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
                }
                object["data"] = .object(data)
            }
            object["stringData"] = nil
            if (object["type"]?.stringValue ?? "").isEmpty { object["type"] = "Opaque" }
        case ("", "services"):
            defaultService(&object)
        case ("", "pods"):
            defaultPodSpec(&object, path: ["spec"])
            defaultContainers(&object)
            object["status"] = ["phase": "Pending", "qosClass": "BestEffort"]
        case ("", "persistentvolumeclaims"):
            if object["spec"]?["storageClassName"] == nil {
                object[path: ["spec", "storageClassName"]] = .string(ClusterController.storageClassName)
            }
            if object["spec"]?["volumeMode"] == nil { object[path: ["spec", "volumeMode"]] = "Filesystem" }
            object["status"] = ["phase": "Pending"]
        case ("", "persistentvolumes"):
            if object["spec"]?["persistentVolumeReclaimPolicy"] == nil {
                object[path: ["spec", "persistentVolumeReclaimPolicy"]] = "Retain"
            }
            if object["spec"]?["volumeMode"] == nil { object[path: ["spec", "volumeMode"]] = "Filesystem" }
            object["status"] = ["phase": object["spec"]?["claimRef"] == nil ? "Available" : "Bound"]
        case ("", "nodes"):
            if object["status"]?.objectValue?.isEmpty ?? true { object["status"] = [:] }
        case ("", "events"):
            try validateEvent(type, object, name: name)
        case ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"):
            try validateWorkload(type, object, name: name)
            if type.plural != "daemonsets", object["spec"]?["replicas"] == nil {
                object[path: ["spec", "replicas"]] = 1
            }
            if type.plural == "deployments" {
                if object["spec"]?["revisionHistoryLimit"] == nil {
                    object[path: ["spec", "revisionHistoryLimit"]] = 10
                }
                if object["spec"]?["progressDeadlineSeconds"] == nil {
                    object[path: ["spec", "progressDeadlineSeconds"]] = 600
                }
                if object["spec"]?["strategy"] == nil {
                    object[path: ["spec", "strategy"]] = [
                        "type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"],
                    ]
                }
            }
            if type.plural == "statefulsets" {
                if object["spec"]?["updateStrategy"] == nil {
                    object[path: ["spec", "updateStrategy"]] = [
                        "type": "RollingUpdate", "rollingUpdate": ["partition": 0],
                    ]
                }
                if object["spec"]?["podManagementPolicy"] == nil {
                    object[path: ["spec", "podManagementPolicy"]] = "OrderedReady"
                }
                if object["spec"]?["persistentVolumeClaimRetentionPolicy"] == nil {
                    object[path: ["spec", "persistentVolumeClaimRetentionPolicy"]] = [
                        "whenDeleted": "Retain", "whenScaled": "Retain",
                    ]
                }
            }
            if type.plural == "daemonsets", object["spec"]?["updateStrategy"] == nil {
                object[path: ["spec", "updateStrategy"]] = [
                    "type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0],
                ]
            }
            if type.plural != "deployments", object["spec"]?["revisionHistoryLimit"] == nil,
                type.plural != "replicasets"
            {
                object[path: ["spec", "revisionHistoryLimit"]] = 10
            }
            defaultPodSpec(&object, path: ["spec", "template", "spec"])
        case ("apiextensions.k8s.io", "customresourcedefinitions"):
            try prepareCRD(&object, type: type, now: now)
        default:
            break
        }
        if type.custom { try validateCustomResource(type, object, name: name) }
    }

    private func defaultService(_ object: inout JSONValue) {
        var spec = object["spec"]?.objectValue ?? [:]
        if spec["type"] == nil { spec["type"] = "ClusterIP" }
        let serviceType = spec["type"]?.stringValue ?? "ClusterIP"
        if serviceType != "ExternalName" {
            let clusterIP = spec["clusterIP"]?.stringValue ?? ""
            if clusterIP.isEmpty {
                let ip = allocateClusterIP()
                spec["clusterIP"] = .string(ip)
                spec["clusterIPs"] = [.string(ip)]
            } else if spec["clusterIPs"] == nil {
                spec["clusterIPs"] = [.string(clusterIP)]
            }
            if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
            if spec["ipFamilies"] == nil { spec["ipFamilies"] = ["IPv4"] }
            if spec["ipFamilyPolicy"] == nil { spec["ipFamilyPolicy"] = "SingleStack" }
            if spec["internalTrafficPolicy"] == nil { spec["internalTrafficPolicy"] = "Cluster" }
        }
        if case .array(var ports)? = spec["ports"] {
            for index in ports.indices {
                if ports[index]["protocol"] == nil { ports[index]["protocol"] = "TCP" }
                if ports[index]["targetPort"] == nil, let port = ports[index]["port"] {
                    ports[index]["targetPort"] = port
                }
            }
            spec["ports"] = .array(ports)
        }
        object["spec"] = .object(spec)
        object["status"] = ["loadBalancer": [:]]
    }

    private func defaultPodSpec(_ object: inout JSONValue, path: [String]) {
        guard case .object(var spec)? = object[path: path] else { return }
        if spec["restartPolicy"] == nil { spec["restartPolicy"] = "Always" }
        if spec["terminationGracePeriodSeconds"] == nil { spec["terminationGracePeriodSeconds"] = 30 }
        if spec["dnsPolicy"] == nil { spec["dnsPolicy"] = "ClusterFirst" }
        if spec["schedulerName"] == nil { spec["schedulerName"] = "default-scheduler" }
        if spec["securityContext"] == nil { spec["securityContext"] = [:] }
        object[path: path] = .object(spec)
    }

    /// The API server's defaults of each container and init container of a pod: `terminationMessagePath`
    /// `/dev/termination-log` and `terminationMessagePolicy` `File` (what the kubelet's termination messages
    /// read, ``TerminationMessage``).
    private func defaultContainers(_ object: inout JSONValue) {
        for list in ["initContainers", "containers"] {
            guard var containers = object["spec"]?[list]?.arrayValue else { continue }
            for index in containers.indices {
                guard case .object(var container) = containers[index] else { continue }
                if (container["terminationMessagePath"]?.stringValue ?? "").isEmpty {
                    container["terminationMessagePath"] = .string(TerminationMessage.defaultPath)
                }
                if (container["terminationMessagePolicy"]?.stringValue ?? "").isEmpty {
                    container["terminationMessagePolicy"] = "File"
                }
                containers[index] = .object(container)
            }
            object[path: ["spec", list]] = .array(containers)
        }
    }

    private func validateWorkload(_ type: ResourceType, _ object: JSONValue, name: String) throws(APIStatus) {
        var causes: [(field: String, reason: String, message: String)] = []
        let template = object["spec"]?["template"]
        let labels = template?["metadata"]?["labels"]?.objectValue ?? [:]
        if let selector = object["spec"]?["selector"]?["matchLabels"]?.objectValue {
            let matches = selector.allSatisfy { labels[$0.key] == $0.value }
            if !matches {
                let shown = labels.map { "\"\($0.key)\":\"\($0.value.stringValue ?? "")\"" }.joined(separator: ", ")
                causes.append(
                    (
                        "spec.template.metadata.labels", "FieldValueInvalid",
                        "Invalid value: map[string]string{\(shown)}: `selector` does not match template `labels`"
                    )
                )
            }
        } else if object["spec"]?["selector"] == nil {
            causes.append(("spec.selector", "FieldValueRequired", "Required value"))
        }
        if (template?["spec"]?["containers"]?.arrayValue ?? []).isEmpty {
            causes.append(("spec.template.spec.containers", "FieldValueRequired", "Required value"))
        }
        if !causes.isEmpty { throw APIStatus.invalid(type, name: name, causes: causes) }
    }

    /// Fills a new CRD's status (names accepted, established) after checking its names.
    private func prepareCRD(_ object: inout JSONValue, type: ResourceType, now: String) throws(APIStatus) {
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let group = object["spec"]?["group"]?.stringValue ?? ""
        let plural = object["spec"]?["names"]?["plural"]?.stringValue ?? ""
        let kind = object["spec"]?["names"]?["kind"]?.stringValue ?? ""
        var causes: [(field: String, reason: String, message: String)] = []
        if name != "\(plural).\(group)" {
            causes.append(
                (
                    "metadata.name", "FieldValueInvalid",
                    "Invalid value: \"\(name)\": must be spec.names.plural+\".\"+spec.group"
                )
            )
        }
        if kind.isEmpty { causes.append(("spec.names.kind", "FieldValueRequired", "Required value")) }
        let versions = object["spec"]?["versions"]?.arrayValue ?? []
        if versions.isEmpty { causes.append(("spec.versions", "FieldValueRequired", "Required value")) }
        if versions.filter({ $0["storage"]?.boolValue == true }).count != 1 && !versions.isEmpty {
            causes.append(
                (
                    "spec.versions", "FieldValueInvalid",
                    "Invalid value: must have exactly one version marked as storage version"
                )
            )
        }
        if registry.all.contains(where: { $0.group == group && $0.plural == plural && !$0.custom }) {
            causes.append(
                ("spec.names.plural", "FieldValueInvalid", "Invalid value: \"\(plural)\": is a built-in resource")
            )
        }
        if !causes.isEmpty { throw APIStatus.invalid(type, name: name, causes: causes) }
        var names = object["spec"]?["names"]?.objectValue ?? [:]
        if names["singular"] == nil { names["singular"] = .string(kind.lowercased()) }
        if names["listKind"] == nil { names["listKind"] = .string(kind + "List") }
        object[path: ["spec", "names"]] = .object(names)
        if object["spec"]?["conversion"] == nil { object[path: ["spec", "conversion"]] = ["strategy": "None"] }
        let storage = versions.first { $0["storage"]?.boolValue == true }?["name"] ?? .null
        object["status"] = [
            "conditions": [
                [
                    "type": "NamesAccepted", "status": "True", "lastTransitionTime": .string(now),
                    "reason": "NoConflicts", "message": "no conflicts found",
                ],
                [
                    "type": "Established", "status": "True", "lastTransitionTime": .string(now),
                    "reason": "InitialNamesAccepted", "message": "the initial names have been accepted",
                ],
            ],
            "acceptedNames": .object(names),
            "storedVersions": [storage],
        ]
    }

    /// Checks a custom resource against its CRD version's openAPIV3Schema (see ``SchemaValidator``).
    func validateCustomResource(_ type: ResourceType, _ object: JSONValue, name: String) throws(APIStatus) {
        guard
            let crd = store.get(
                "customresourcedefinitions.apiextensions.k8s.io",
                ObjectKey(namespace: "", name: type.storageKey)
            ),
            let decoded = try? JSONValue(parsing: crd.body),
            let version = decoded["spec"]?["versions"]?.arrayValue?.first(where: {
                $0["name"]?.stringValue == type.version
            }),
            let schema = version["schema"]?["openAPIV3Schema"]
        else { return }
        var problems: [(field: String, reason: String, message: String)] = []
        for key in ["spec", "status"] {
            guard let value = object[key], let inner = schema["properties"]?[key] else { continue }
            SchemaValidator.validate(value, schema: inner, path: key, problems: &problems)
        }
        if let required = schema["required"]?.arrayValue {
            for field in required.compactMap(\.stringValue) where object[field] == nil {
                problems.append((field, "FieldValueRequired", "Required value"))
            }
        }
        if !problems.isEmpty { throw APIStatus.invalid(type, name: name, causes: problems) }
    }
}
