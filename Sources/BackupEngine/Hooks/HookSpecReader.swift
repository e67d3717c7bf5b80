import Kubernetes

/// Typed reads of hook specs kept as JSON (`spec.hooks` of a Backup or Restore), with messages naming the field.
enum HookSpecReader {
    static func problem(_ field: String, _ message: String) -> BackupEngineError {
        BackupEngineError(code: .invalidSpec, message: "\(field) \(message)")
    }

    /// A string field, `nil` when absent or null.
    static func string(_ value: JSONValue?, field: String) throws -> String? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue else { throw problem(field, "must be a string, got \(value.typeName)") }
        return text
    }

    /// A list of strings, empty when absent or null.
    static func strings(_ value: JSONValue?, field: String) throws -> [String] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw problem(field, "must be a list, got \(value.typeName)") }
        return try items.enumerated().map { index, item in
            guard let text = item.stringValue else {
                throw problem("\(field)[\(index)]", "must be a string, got \(item.typeName)")
            }
            return text
        }
    }

    /// A list of objects, empty when absent or null.
    static func list(_ value: JSONValue?, field: String) throws -> [JSONValue] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw problem(field, "must be a list, got \(value.typeName)") }
        return items
    }

    /// A Go duration (`30s`, `1m30s`), `nil` when absent, null or empty.
    static func duration(_ value: JSONValue?, field: String) throws -> Duration? {
        guard let text = try string(value, field: field), !text.isEmpty else { return nil }
        guard let duration = GoDuration.parse(text) else {
            throw problem(field, "is not a duration: \(text.debugDescription) (use e.g. 30s, 2m)")
        }
        return duration
    }

    /// A boolean, `nil` when absent or null.
    static func bool(_ value: JSONValue?, field: String) throws -> Bool? {
        guard let value, !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw problem(field, "must be a boolean, got \(value.typeName)") }
        return flag
    }

    /// The `resources` list of `spec.hooks` (the object `{"resources": [...]}`; a bare list is read as it).
    static func resources(_ hooks: JSONValue?) throws -> [JSONValue] {
        guard let hooks, !hooks.isNull else { return [] }
        if hooks.arrayValue != nil { return try list(hooks, field: "spec.hooks") }
        guard hooks.objectValue != nil else {
            throw problem("spec.hooks", "must be an object, got \(hooks.typeName)")
        }
        return try list(hooks["resources"], field: "spec.hooks.resources")
    }
}
