import Kubernetes

/// A small subset of structural-schema validation for custom resources: `type`, `required`, `enum`,
/// `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`, `properties`, `items`,
/// `additionalProperties` (as a schema). Unknown fields are kept (no pruning); formats, patterns,
/// CEL rules and `x-kubernetes-*` semantics are not checked.
enum SchemaValidator {
    static func validate(
        _ value: JSONValue,
        schema: JSONValue,
        path: String,
        problems: inout [(field: String, reason: String, message: String)]
    ) {
        if value.isNull {
            if schema["nullable"]?.boolValue != true, schema["type"] != nil {
                problems.append(
                    (
                        path, "FieldValueTypeInvalid",
                        "Invalid value: \"null\": \(path) in body must be of type \(schema["type"]?.stringValue ?? "object"): \"null\""
                    )
                )
            }
            return
        }
        if let type = schema["type"]?.stringValue, !matches(value, type: type) {
            problems.append(
                (
                    path, "FieldValueTypeInvalid",
                    "Invalid value: \"\(value.typeName)\": \(path) in body must be of type \(type): \"\(value.typeName)\""
                )
            )
            return
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            let shown = options.map { $0.jsonString }.joined(separator: ", ")
            problems.append(
                (path, "FieldValueNotSupported", "Unsupported value: \(value.jsonString): supported values: \(shown)")
            )
        }
        if let number = value.doubleValue {
            if let minimum = schema["minimum"]?.doubleValue, number < minimum {
                problems.append(
                    (
                        path, "FieldValueInvalid",
                        "Invalid value: \(value.jsonString): \(path) in body should be greater than or equal to \(format(minimum))"
                    )
                )
            }
            if let maximum = schema["maximum"]?.doubleValue, number > maximum {
                problems.append(
                    (
                        path, "FieldValueInvalid",
                        "Invalid value: \(value.jsonString): \(path) in body should be less than or equal to \(format(maximum))"
                    )
                )
            }
        }
        if let string = value.stringValue {
            if let minimum = schema["minLength"]?.intValue, string.count < minimum {
                problems.append(
                    (
                        path, "FieldValueInvalid",
                        "Invalid value: \"\(string)\": \(path) in body should be at least \(minimum) chars long"
                    )
                )
            }
            if let maximum = schema["maxLength"]?.intValue, string.count > maximum {
                problems.append((path, "FieldValueTooLong", "Too long: may not be longer than \(maximum)"))
            }
        }
        if let array = value.arrayValue {
            if let minimum = schema["minItems"]?.intValue, array.count < minimum {
                problems.append(
                    (
                        path, "FieldValueInvalid",
                        "Invalid value: \(array.count): \(path) in body should have at least \(minimum) items"
                    )
                )
            }
            if let maximum = schema["maxItems"]?.intValue, array.count > maximum {
                problems.append(
                    (path, "FieldValueTooMany", "Too many: \(array.count): must have at most \(maximum) items")
                )
            }
            if let items = schema["items"] {
                for (index, element) in array.enumerated() {
                    validate(element, schema: items, path: "\(path)[\(index)]", problems: &problems)
                }
            }
        }
        if let object = value.objectValue {
            for field in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[field] == nil {
                problems.append(("\(path).\(field)", "FieldValueRequired", "Required value"))
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for (key, inner) in object {
                if let propertySchema = properties[key] {
                    validate(inner, schema: propertySchema, path: "\(path).\(key)", problems: &problems)
                } else if let additional = schema["additionalProperties"], additional.objectValue != nil {
                    validate(inner, schema: additional, path: "\(path).\(key)", problems: &problems)
                }
            }
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch type {
        case "object": return value.objectValue != nil
        case "array": return value.arrayValue != nil
        case "string": return value.stringValue != nil
        case "integer": return value.intValue != nil && value.doubleValue != nil
        case "number": return value.doubleValue != nil
        case "boolean": return value.boolValue != nil
        default: return true
        }
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
