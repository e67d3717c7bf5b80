import Foundation
import Kubernetes

/// A container's environment as the kubelet builds it: `envFrom` first, then `env` in order (a later name
/// replaces an earlier one), each value with `$(VAR)` references to earlier variables expanded; `valueFrom`
/// reads ConfigMap and Secret keys (`optional` honoured) and the pod's fields.
struct ContainerEnvironment {
    /// The pod, with its status (for `status.podIP` and `status.hostIP`).
    var pod: JSONValue
    /// A ConfigMap (`kind` "configmaps") or Secret ("secrets") of the pod's namespace, nil when missing.
    var lookup: (_ kind: String, _ name: String) -> JSONValue?

    /// Why the environment cannot be built: the kubelet's `CreateContainerConfigError` message.
    struct Failure: Error, Equatable {
        var message: String
    }

    /// The variables in order.
    func variables(for container: JSONValue, base: [(String, String)]) throws(Failure) -> [(String, String)] {
        var result = base
        func set(_ name: String, _ value: String) {
            if let index = result.firstIndex(where: { $0.0 == name }) {
                result[index].1 = value
            } else {
                result.append((name, value))
            }
        }
        let namespace = pod["metadata"]?["namespace"]?.stringValue ?? ""
        for source in container["envFrom"]?.arrayValue ?? [] {
            let prefix = source["prefix"]?.stringValue ?? ""
            for (kind, key, label) in [("configmaps", "configMapRef", "configmap"), ("secrets", "secretRef", "secret")]
            {
                guard let reference = source[key], let name = reference["name"]?.stringValue else { continue }
                guard let object = lookup(kind, name) else {
                    if reference["optional"]?.boolValue == true { continue }
                    throw Failure(message: "\(label) \"\(name)\" not found")
                }
                for (entry, value) in Self.entries(of: object, secret: kind == "secrets") {
                    set(prefix + entry, value)
                }
            }
        }
        for variable in container["env"]?.arrayValue ?? [] {
            guard let name = variable["name"]?.stringValue else { continue }
            if let valueFrom = variable["valueFrom"] {
                guard let value = try value(from: valueFrom, container: container, namespace: namespace) else {
                    continue
                }
                set(name, value)
            } else {
                let known = Dictionary(result, uniquingKeysWith: { _, last in last })
                set(name, Self.expand(variable["value"]?.stringValue ?? "", known))
            }
        }
        return result
    }

    private func value(from source: JSONValue, container: JSONValue, namespace: String) throws(Failure) -> String? {
        for (kind, key, label) in [
            ("configmaps", "configMapKeyRef", "ConfigMap"), ("secrets", "secretKeyRef", "Secret"),
        ] {
            guard let reference = source[key] else { continue }
            let name = reference["name"]?.stringValue ?? ""
            let entry = reference["key"]?.stringValue ?? ""
            let optional = reference["optional"]?.boolValue == true
            guard let object = lookup(kind, name) else {
                if optional { return nil }
                throw Failure(message: "\(label.lowercased()) \"\(name)\" not found")
            }
            guard let value = Self.entries(of: object, secret: kind == "secrets").first(where: { $0.0 == entry })
            else {
                if optional { return nil }
                throw Failure(message: "couldn't find key \(entry) in \(label) \(namespace)/\(name)")
            }
            return value.1
        }
        if let path = source["fieldRef"]?["fieldPath"]?.stringValue {
            return Self.field(path, of: pod) ?? ""
        }
        if let reference = source["resourceFieldRef"], let resource = reference["resource"]?.stringValue {
            let parts = resource.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return "" }
            return container["resources"]?[parts[0]]?[parts[1]]?.stringValue ?? "0"
        }
        return nil
    }

    /// The string entries of a ConfigMap (`data`, then `binaryData`) or a Secret (`data`, base64-decoded).
    static func entries(of object: JSONValue, secret: Bool) -> [(String, String)] {
        var entries: [(String, String)] = []
        for (key, value) in object["data"]?.objectValue ?? [:] {
            guard let text = value.stringValue else { continue }
            if secret {
                guard let data = Data(base64Encoded: text) else { continue }
                entries.append((key, String(decoding: data, as: UTF8.self)))
            } else {
                entries.append((key, text))
            }
        }
        return entries
    }

    /// A downward API field of the pod (`metadata.name`, `metadata.labels['app']`, `status.podIP`, ...).
    static func field(_ path: String, of pod: JSONValue) -> String? {
        for (prefix, section) in [("metadata.labels", "labels"), ("metadata.annotations", "annotations")] {
            guard path.hasPrefix(prefix) else { continue }
            let rest = path.dropFirst(prefix.count)
            if rest.isEmpty {
                let entries = pod["metadata"]?[section]?.objectValue ?? [:]
                return entries.keys.sorted().map { key in
                    "\(key)=\"\(entries[key]?.stringValue ?? "")\""
                }.joined(separator: "\n")
            }
            guard rest.hasPrefix("['"), rest.hasSuffix("']") else { return nil }
            let key = String(rest.dropFirst(2).dropLast(2))
            return pod["metadata"]?[section]?[key]?.stringValue
        }
        switch path {
        case "metadata.name", "metadata.namespace", "metadata.uid":
            return pod["metadata"]?[String(path.dropFirst("metadata.".count))]?.stringValue
        case "spec.nodeName", "spec.serviceAccountName":
            return pod["spec"]?[String(path.dropFirst("spec.".count))]?.stringValue
        case "status.podIP", "status.hostIP":
            return pod["status"]?[String(path.dropFirst("status.".count))]?.stringValue
        case "status.podIPs", "status.hostIPs":
            let key = String(path.dropFirst("status.".count))
            return (pod["status"]?[key]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }.joined(separator: ",")
        default:
            return nil
        }
    }

    /// Kubernetes' `$(VAR)` expansion: a defined variable is replaced, `$$` is a literal `$`, anything else is
    /// left as written.
    static func expand(_ text: String, _ variables: [String: String]) -> String {
        guard text.contains("$") else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            guard character == "$", next < text.endIndex else {
                output.append(character)
                index = next
                continue
            }
            if text[next] == "$" {
                output.append("$")
                index = text.index(after: next)
            } else if text[next] == "(", let close = text[next...].firstIndex(of: ")") {
                let name = String(text[text.index(after: next)..<close])
                if let value = variables[name] {
                    output += value
                } else {
                    output += text[index...close]
                }
                index = text.index(after: close)
            } else {
                output.append(character)
                index = next
            }
        }
        return output
    }
}
