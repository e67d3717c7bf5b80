package import Kubernetes

/// Required node affinity (`affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`):
/// a node is admitted when it matches any term; a term matches when all its requirements hold.
package struct NodeAffinity: Sendable, Hashable {
    /// A `NodeSelectorRequirement`.
    package struct Requirement: Sendable, Hashable {
        package var key: String
        /// `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt` or `Lt`.
        package var `operator`: String
        package var values: [String]

        package init(key: String, operator op: String, values: [String] = []) {
            self.key = key
            self.operator = op
            self.values = values
        }

        /// Whether a node with these labels satisfies the requirement (Kubernetes' node selector semantics:
        /// `NotIn` and `DoesNotExist` hold when the label is absent).
        package func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch `operator` {
            case "In": return value.map { values.contains($0) } ?? false
            case "NotIn": return value.map { !values.contains($0) } ?? true
            case "Exists": return value != nil
            case "DoesNotExist": return value == nil
            case "Gt", "Lt":
                guard let value, let actual = Int64(value), values.count == 1, let bound = Int64(values[0]) else {
                    return false
                }
                return `operator` == "Gt" ? actual > bound : actual < bound
            default: return false
            }
        }

        /// The Kubernetes JSON form.
        package var json: JSONValue {
            var o: JSONObject = ["key": .string(key), "operator": .string(`operator`)]
            if !values.isEmpty { o["values"] = .array(values.map(JSONValue.string)) }
            return .object(o)
        }
    }

    /// `nodeSelectorTerms[].matchExpressions`.
    package var terms: [[Requirement]]

    package init(terms: [[Requirement]]) {
        self.terms = terms
    }

    /// Whether a node with these labels is admitted (an empty term matches nothing, like Kubernetes).
    package func admits(_ labels: [String: String]) -> Bool {
        terms.contains { term in !term.isEmpty && term.allSatisfy { $0.matches(labels) } }
    }

    /// The Kubernetes `Affinity` JSON: `{"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": …}}`.
    package var affinityJSON: JSONValue {
        let terms: [JSONValue] = terms.map { term in ["matchExpressions": .array(term.map(\.json))] }
        return [
            "nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": .array(terms)]]
        ]
    }

    /// Reads `nodeSelectorTerms` of a volume's topology (a PV's `spec.nodeAffinity.required`).
    package init(nodeSelector: JSONValue) {
        let terms = nodeSelector["nodeSelectorTerms"]?.arrayValue ?? []
        self.terms = terms.map { term in
            (term["matchExpressions"]?.arrayValue ?? []).map { e in
                Requirement(
                    key: e["key"]?.stringValue ?? "",
                    operator: e["operator"]?.stringValue ?? "",
                    values: (e["values"]?.arrayValue ?? []).compactMap(\.stringValue)
                )
            }
        }
    }
}
