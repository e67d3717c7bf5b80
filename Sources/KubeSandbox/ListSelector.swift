import Foundation
import Kubernetes

/// The label and field selectors of a list or watch request (parsed by the `Kubernetes` module's
/// ``LabelSelector`` and ``FieldSelector``), matched against stored objects without decoding them
/// (labels and the selectable fields are indexed in ``StoredObject``).
struct ListSelector: Sendable {
    private let label: LabelSelector
    private let field: FieldSelector

    /// Whether nothing is filtered.
    var isEverything: Bool { label.isEmpty && field.isEmpty }

    init(type: ResourceType, labelSelector: String?, fieldSelector: String?) throws(APIStatus) {
        do { label = try LabelSelector(parsing: labelSelector ?? "") } catch {
            throw APIStatus.badRequest("unable to parse requirement: \(SandboxCore.describe(error))")
        }
        do { field = try FieldSelector(parsing: fieldSelector ?? "") } catch {
            throw APIStatus.badRequest("invalid field selector: \(SandboxCore.describe(error))")
        }
        let allowed = ["metadata.name", "metadata.namespace"] + Self.extraFields(type)
        for requirement in field.requirements where !allowed.contains(requirement.field) {
            throw APIStatus.badRequest(
                "Unable to find \"\(type.group)/\(type.version), Resource=\(type.plural)\" that match label selector "
                    + "\"\(labelSelector ?? "")\", field selector \"\(fieldSelector ?? "")\": field label not "
                    + "supported: \(requirement.field)"
            )
        }
    }

    private static func extraFields(_ type: ResourceType) -> [String] {
        guard type.group.isEmpty else { return [] }
        switch type.plural {
        case "pods": return ["status.phase", "spec.nodeName"]
        case "secrets": return ["type"]
        case "events":
            return ["type", "reason"]
                + ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"].map {
                    "involvedObject.\($0)"
                }
        case "namespaces", "persistentvolumeclaims", "persistentvolumes": return ["status.phase"]
        default: return []
        }
    }

    /// Whether the object at `key` is selected.
    func matches(_ key: ObjectKey, _ object: StoredObject) -> Bool {
        if !field.isEmpty {
            let selected = field.matches { path in
                switch path {
                case "metadata.name": return key.name
                case "metadata.namespace": return key.namespace
                default: return object.fields[path] ?? ""
                }
            }
            if !selected { return false }
        }
        return label.isEmpty || label.matches(object.labels)
    }
}
