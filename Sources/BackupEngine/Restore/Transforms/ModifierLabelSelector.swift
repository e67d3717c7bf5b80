import Kubernetes

/// Matching of a structured label selector (`matchLabels` + `matchExpressions`), as
/// `metav1.LabelSelectorAsSelector(...).Matches(labels)` does for the resource-modifier condition.
///
/// The Kubernetes module's selector support was still being written; this covers the structured form only.
enum ModifierLabelSelector {
    static let operators: Set<String> = ["In", "NotIn", "Exists", "DoesNotExist"]

    /// Why the selector is invalid, or nil.
    static func validationError(_ spec: LabelSelectorSpec) -> String? {
        for requirement in spec.matchExpressions ?? [] {
            guard !requirement.key.isEmpty else { return "a matchExpressions key cannot be empty" }
            guard operators.contains(requirement.operator) else {
                return "\"\(requirement.operator)\" is not a valid label selector operator"
            }
            let values = requirement.values ?? []
            switch requirement.operator {
            case "In", "NotIn":
                if values.isEmpty {
                    return "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"
                }
            default:
                if !values.isEmpty {
                    return "values: Invalid value: \(values): values set must be empty for exists and does not exist"
                }
            }
        }
        return nil
    }

    /// Whether `labels` satisfy every requirement.
    static func matches(_ spec: LabelSelectorSpec, labels: [String: String]) -> Bool {
        for (key, value) in spec.matchLabels ?? [:] where labels[key] != value { return false }
        for requirement in spec.matchExpressions ?? [] {
            let actual = labels[requirement.key]
            let values = requirement.values ?? []
            switch requirement.operator {
            case "In": if actual.map({ values.contains($0) }) != true { return false }
            case "NotIn": if let actual, values.contains(actual) { return false }
            case "Exists": if actual == nil { return false }
            case "DoesNotExist": if actual != nil { return false }
            default: return false
            }
        }
        return true
    }
}
