import Foundation
import Kubernetes

extension SandboxCore {
    /// kube-apiserver's validation of a core/v1 Event on create and update (`legacyValidateEvent` in
    /// `pkg/apis/core/validation/events.go`; the v1 API adds nothing to it): without `eventTime` the involved
    /// object's namespace must be the Event's own (or, when empty, the Event lives in `default`); with
    /// `eventTime` the reporting fields, action and reason are required and bounded.
    func validateEvent(_ type: ResourceType, _ event: JSONValue, name: String) throws(APIStatus) {
        var causes: [(field: String, reason: String, message: String)] = []
        func text(_ key: String) -> String { event[key]?.stringValue ?? "" }
        let namespace = event["metadata"]?["namespace"]?.stringValue ?? ""
        let involvedNamespace = event["involvedObject"]?["namespace"]?.stringValue ?? ""
        let mismatch = (
            "involvedObject.namespace", "FieldValueInvalid",
            "Invalid value: \"\(involvedNamespace)\": does not match event.namespace"
        )
        let eventTime = event["eventTime"].map { !$0.isNull && $0.stringValue != "" } ?? false
        if !eventTime {
            if involvedNamespace.isEmpty {
                if !namespace.isEmpty && namespace != "default" { causes.append(mismatch) }
            } else if namespace != involvedNamespace {
                causes.append(mismatch)
            }
        } else {
            if involvedNamespace.isEmpty && namespace != "default" && namespace != "kube-system" {
                causes.append(mismatch)
            }
            let controller = text("reportingComponent")
            if controller.isEmpty {
                causes.append(("reportingController", "FieldValueRequired", "Required value"))
            }
            for problem in Self.qualifiedNameProblems(controller) {
                causes.append(
                    ("reportingController", "FieldValueInvalid", "Invalid value: \"\(controller)\": \(problem)")
                )
            }
            for (field, limit, required) in [
                ("reportingInstance", 128, true), ("action", 128, true), ("reason", 128, true),
                ("message", 1024, false),
            ] {
                let value = text(field)
                if required && value.isEmpty { causes.append((field, "FieldValueRequired", "Required value")) }
                if value.utf8.count > limit {
                    causes.append(
                        (field, "FieldValueInvalid", "Invalid value: \"\": can have at most \(limit) characters")
                    )
                }
            }
        }
        if !causes.isEmpty { throw APIStatus.invalid(type, name: name, causes: causes) }
    }

    /// apimachinery's `IsQualifiedName`: an optional DNS-subdomain prefix and `/`, then a name of at most 63
    /// characters that starts and ends with an alphanumeric character and has `-`, `_` or `.` inside.
    static func qualifiedNameProblems(_ value: String) -> [String] {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let format =
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            + "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            + "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        var name = Substring(value)
        var problems: [String] = []
        switch parts.count {
        case 1:
            break
        case 2:
            name = parts[1]
            if parts[0].isEmpty {
                problems.append("prefix part must be non-empty")
            } else if !NameValidation.isSubdomain(String(parts[0])) {
                problems.append("prefix part must be a lowercase RFC 1123 subdomain")
            }
        default:
            return [
                "a qualified name " + format.replacingOccurrences(of: "name part ", with: "")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            problems.append("name part must be non-empty")
        } else if name.count > 63 {
            problems.append("name part must be no more than 63 characters")
        }
        let isAlphanumeric: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber) }
        if !(isAlphanumeric(name.first ?? " ") && isAlphanumeric(name.last ?? " ")
            && name.allSatisfy { isAlphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." })
        {
            problems.append(format)
        }
        return problems
    }
}
