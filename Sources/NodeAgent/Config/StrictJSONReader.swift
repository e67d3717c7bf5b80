import Kubernetes

/// Reads a JSON object into typed fields the way Go's `encoding/json` does for Velero's config structs:
/// keys match case-insensitively, `null` leaves the zero value, a value of the wrong type is an error
/// naming its path. Unknown keys are collected so the caller can warn about them.
struct StrictJSONReader {
    let object: JSONObject
    let path: String
    private(set) var unknownKeys: [String]
    private var consumed: Set<String> = []

    /// - Throws: ``NodeAgentError`` when `value` is not an object (or null).
    init(_ value: JSONValue, path: String) throws {
        switch value {
        case .object(let o): object = o
        case .null: object = [:]
        default: throw StrictJSONReader.typeError(path: path, value: value, expected: "an object")
        }
        self.path = path
        unknownKeys = []
    }

    static func typeError(path: String, value: JSONValue, expected: String) -> NodeAgentError {
        let shown: String
        switch value {
        case .string(let s): shown = "string \"\(s)\""
        case .int(let i): shown = "number \(i)"
        case .double(let d): shown = "number \(d)"
        case .bool(let b): shown = "boolean \(b)"
        default: shown = value.typeName
        }
        return NodeAgentError(
            code: .invalidConfig,
            message: "\(path.isEmpty ? "document" : path): cannot use \(shown) as \(expected)"
        )
    }

    func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The value for `key` (exact match first, then case-insensitive like encoding/json); nil when absent or null.
    mutating func value(_ key: String) -> JSONValue? {
        var found: (String, JSONValue)?
        if let v = object[key] {
            found = (key, v)
        } else if let match = object.first(where: { $0.key.lowercased() == key.lowercased() }) {
            found = (match.key, match.value)
        }
        guard let (actualKey, v) = found else { return nil }
        consumed.insert(actualKey)
        return v.isNull ? nil : v
    }

    mutating func int(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard case .int(let i) = v, let n = Int(exactly: i) else {
            throw StrictJSONReader.typeError(path: child(key), value: v, expected: "an integer")
        }
        return n
    }

    mutating func int64(_ key: String) throws -> Int64? {
        guard let v = value(key) else { return nil }
        guard case .int(let i) = v else {
            throw StrictJSONReader.typeError(path: child(key), value: v, expected: "an integer")
        }
        return i
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else {
            throw StrictJSONReader.typeError(path: child(key), value: v, expected: "a boolean")
        }
        return b
    }

    mutating func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else {
            throw StrictJSONReader.typeError(path: child(key), value: v, expected: "a string")
        }
        return s
    }

    mutating func stringMap(_ key: String) throws -> [String: String]? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else {
            throw StrictJSONReader.typeError(path: child(key), value: v, expected: "an object of strings")
        }
        var result: [String: String] = [:]
        for (k, item) in o {
            if item.isNull { continue }
            guard case .string(let s) = item else {
                throw StrictJSONReader.typeError(path: child(key) + "." + k, value: item, expected: "a string")
            }
            result[k] = s
        }
        return result
    }

    mutating func array(_ key: String) throws -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else {
            throw StrictJSONReader.typeError(path: child(key), value: v, expected: "a list")
        }
        return a
    }

    /// The keys of the object that no accessor asked for, as dotted paths.
    var unconsumedKeys: [String] {
        object.keys.filter { !consumed.contains($0) }.map(child)
    }
}
