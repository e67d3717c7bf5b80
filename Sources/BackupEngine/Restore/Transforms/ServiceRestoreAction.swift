package import Kubernetes

/// `velero.io/service`: lets the target cluster allocate a Service's addresses and ports again.
///
/// - `spec.clusterIP` and `spec.clusterIPs` are removed unless the cluster IP is `None` (headless).
/// - Unless the restore preserves node ports, and unless the Service is `ExternalName`, every
///   `spec.ports[].nodePort` is removed except those declared explicitly: when the
///   `kubectl.kubernetes.io/last-applied-configuration` annotation exists, a named port keeps its node
///   port if the applied port of that name had a non-zero `nodePort`, an unnamed port if its value was
///   applied; without the annotation, ports whose `f:nodePort` appears in `metadata.managedFields`
///   (keyed `k:{"port":P,"protocol":"X"}`) keep theirs.
/// - Unless node ports are preserved, `spec.healthCheckNodePort` of a LoadBalancer with
///   `externalTrafficPolicy: Local` is removed unless the last-applied configuration sets it non-zero
///   or a managed-fields entry owns `f:spec.f:healthCheckNodePort`.
package struct ServiceRestoreAction: RestoreItemAction {
    package let name = "velero.io/service"
    let groupResources: Set<String> = ["services"]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }
    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        var item = input.item
        guard var spec = item["spec"]?.objectValue else { return RestoreItemActionOutput(item: item) }
        if spec["clusterIP"]?.stringValue != "None" {
            spec.removeValue(forKey: "clusterIP")
            spec.removeValue(forKey: "clusterIPs")
        }
        if !context.preserveNodePorts {
            let lastApplied = try lastAppliedConfiguration(item)
            let managedFields = managedFieldsEntries(item)
            try deleteNodePorts(&spec, lastApplied: lastApplied, managedFields: managedFields)
            deleteHealthCheckNodePort(&spec, lastApplied: lastApplied, managedFields: managedFields)
        }
        item["spec"] = .object(spec)
        return RestoreItemActionOutput(item: item)
    }

    private func lastAppliedConfiguration(_ item: JSONValue) throws -> JSONValue? {
        guard let text = RestoreObjectFields.annotation(item, Self.lastAppliedAnnotation) else { return nil }
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw BackupEngineError(
                code: .actionFailed,
                message: "annotation \(Self.lastAppliedAnnotation) is not valid JSON",
                cause: error
            )
        }
    }

    /// The decoded `fieldsV1` of every managed-fields entry.
    private func managedFieldsEntries(_ item: JSONValue) -> [JSONValue] {
        (item[path: ["metadata", "managedFields"]]?.arrayValue ?? []).compactMap { $0["fieldsV1"] }
    }

    private func deleteNodePorts(_ spec: inout JSONObject, lastApplied: JSONValue?, managedFields: [JSONValue]) throws {
        if spec["type"]?.stringValue == "ExternalName" { return }
        guard var ports = spec["ports"]?.arrayValue else { return }
        if let lastApplied {
            var namedPorts = Set<String>()
            var unnamedPorts = Set<Int64>()
            for port in lastApplied[path: ["spec", "ports"]]?.arrayValue ?? [] {
                guard port.objectValue != nil, let value = port["nodePort"] else { continue }
                let number: Int64
                switch value {
                case .string(let text):
                    guard let parsed = Int64(text) else {
                        throw BackupEngineError(
                            code: .actionFailed,
                            message: "last-applied-configuration nodePort \"\(text)\" is not a number"
                        )
                    }
                    number = parsed
                default:
                    number = value.intValue ?? 0
                }
                guard number > 0 else { continue }
                if let name = port["name"] {
                    namedPorts.insert(name.stringValue ?? "")
                } else {
                    unnamedPorts.insert(number)
                }
            }
            for index in ports.indices {
                let name = ports[index]["name"]?.stringValue ?? ""
                let keep =
                    name.isEmpty
                    ? unnamedPorts.contains(ports[index]["nodePort"]?.intValue ?? 0)
                    : namedPorts.contains(name)
                if !keep { ports[index]["nodePort"] = nil }
            }
        } else {
            var explicit = Set<String>()
            for fields in managedFields {
                for (key, port) in fields[path: ["f:spec", "f:ports"]]?.objectValue ?? [:]
                where port["f:nodePort"] != nil {
                    explicit.insert(key)
                }
            }
            for index in ports.indices where !explicit.contains(Self.portKey(ports[index])) {
                ports[index]["nodePort"] = nil
            }
        }
        spec["ports"] = .array(ports)
    }

    private func deleteHealthCheckNodePort(
        _ spec: inout JSONObject,
        lastApplied: JSONValue?,
        managedFields: [JSONValue]
    ) {
        guard spec["externalTrafficPolicy"]?.stringValue == "Local",
            spec["type"]?.stringValue == "LoadBalancer",
            let current = spec["healthCheckNodePort"]?.intValue, current != 0
        else { return }
        if let applied = lastApplied?[path: ["spec", "healthCheckNodePort"]]?.intValue, applied != 0 { return }
        if managedFields.contains(where: { $0[path: ["f:spec", "f:healthCheckNodePort"]]?.objectValue != nil }) {
            return
        }
        spec.removeValue(forKey: "healthCheckNodePort")
    }

    /// The managed-fields key of a service port: `k:{"port":80,"protocol":"TCP"}`.
    static func portKey(_ port: JSONValue) -> String {
        let number = port["port"]?.intValue ?? 0
        let proto = port["protocol"]?.stringValue ?? ""
        return "k:{\"port\":\(number),\"protocol\":\"\(proto)\"}"
    }
}
