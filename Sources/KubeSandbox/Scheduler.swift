import Kubernetes

/// Picks a node for a pod: nodeSelector, required node affinity (In, NotIn, Exists, DoesNotExist, Gt,
/// Lt), taints (NoSchedule/NoExecute) against tolerations, Ready and schedulable nodes; among the
/// feasible nodes the one with the fewest pods (ties by name). A pure function of its inputs.
struct Scheduler: Sendable {
    let nodes: [JSONValue]

    func select(for pod: JSONValue, podCounts: [String: Int]) -> String? {
        let candidates = nodes.filter { feasible(pod, on: $0) }.compactMap { $0["metadata"]?["name"]?.stringValue }
        return candidates.min { (podCounts[$0] ?? 0, $0) < (podCounts[$1] ?? 0, $1) }
    }

    func feasible(_ pod: JSONValue, on node: JSONValue) -> Bool {
        guard node["spec"]?["unschedulable"]?.boolValue != true else { return false }
        let ready = node["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
        guard ready?["status"]?.stringValue == "True" else { return false }
        var labels: [String: String] = [:]
        for (key, value) in node["metadata"]?["labels"]?.objectValue ?? [:] { labels[key] = value.stringValue }
        for (key, value) in pod["spec"]?["nodeSelector"]?.objectValue ?? [:] where labels[key] != value.stringValue {
            return false
        }
        let required = pod["spec"]?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]
        if let terms = required?["nodeSelectorTerms"]?.arrayValue, !terms.isEmpty {
            let name = node["metadata"]?["name"]?.stringValue ?? ""
            let anyTerm = terms.contains { term in
                let expressions = term["matchExpressions"]?.arrayValue ?? []
                let fields = term["matchFields"]?.arrayValue ?? []
                return expressions.allSatisfy { Self.matches($0, labels) }
                    && fields.allSatisfy { Self.matches($0, ["metadata.name": name]) }
            }
            if !anyTerm { return false }
        }
        let tolerations = pod["spec"]?["tolerations"]?.arrayValue ?? []
        for taint in node["spec"]?["taints"]?.arrayValue ?? [] {
            let effect = taint["effect"]?.stringValue ?? ""
            guard effect == "NoSchedule" || effect == "NoExecute" else { continue }
            if !tolerations.contains(where: { Self.tolerates($0, taint) }) { return false }
        }
        return true
    }

    /// A node selector requirement against labels.
    static func matches(_ requirement: JSONValue, _ labels: [String: String]) -> Bool {
        let key = requirement["key"]?.stringValue ?? ""
        let values = (requirement["values"]?.arrayValue ?? []).compactMap(\.stringValue)
        let value = labels[key]
        switch requirement["operator"]?.stringValue ?? "" {
        case "In": return value.map { values.contains($0) } ?? false
        case "NotIn": return value.map { !values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt":
            guard let value, let number = Int64(value), let bound = values.first.flatMap({ Int64($0) }) else {
                return false
            }
            return number > bound
        case "Lt":
            guard let value, let number = Int64(value), let bound = values.first.flatMap({ Int64($0) }) else {
                return false
            }
            return number < bound
        default: return false
        }
    }

    /// Whether a toleration tolerates a taint.
    static func tolerates(_ toleration: JSONValue, _ taint: JSONValue) -> Bool {
        let effect = toleration["effect"]?.stringValue ?? ""
        if !effect.isEmpty && effect != taint["effect"]?.stringValue { return false }
        let key = toleration["key"]?.stringValue ?? ""
        let op = toleration["operator"]?.stringValue ?? "Equal"
        if key.isEmpty { return op == "Exists" }
        guard key == taint["key"]?.stringValue else { return false }
        if op == "Exists" { return true }
        return (toleration["value"]?.stringValue ?? "") == (taint["value"]?.stringValue ?? "")
    }
}
