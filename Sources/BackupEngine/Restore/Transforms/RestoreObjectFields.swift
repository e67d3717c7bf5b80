import Kubernetes

/// Small accessors for the metadata of an unstructured object, shared by the restore transforms.
enum RestoreObjectFields {
    static func name(_ object: JSONValue) -> String {
        object[path: ["metadata", "name"]]?.stringValue ?? ""
    }

    static func namespace(_ object: JSONValue) -> String {
        object[path: ["metadata", "namespace"]]?.stringValue ?? ""
    }

    static func kind(_ object: JSONValue) -> String {
        object["kind"]?.stringValue ?? ""
    }

    /// The API group of `apiVersion` ("" for the core group).
    static func group(_ object: JSONValue) -> String {
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }

    /// The string members of `metadata.<field>` (labels or annotations).
    static func stringMap(_ object: JSONValue, _ field: String) -> [String: String] {
        guard let members = object[path: ["metadata", field]]?.objectValue else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in members {
            if let s = value.stringValue { result[key] = s }
        }
        return result
    }

    static func labels(_ object: JSONValue) -> [String: String] { stringMap(object, "labels") }

    static func annotations(_ object: JSONValue) -> [String: String] { stringMap(object, "annotations") }

    static func annotation(_ object: JSONValue, _ key: String) -> String? {
        object[path: ["metadata", "annotations", key]]?.stringValue
    }

    /// Removes `keys` from `metadata.<field>`, keeping an empty map if one was there.
    static func remove(_ keys: [String], from field: String, of object: inout JSONValue) {
        guard var members = object[path: ["metadata", field]]?.objectValue else { return }
        var changed = false
        for key in keys where members.removeValue(forKey: key) != nil { changed = true }
        if changed { object[path: ["metadata", field]] = .object(members) }
    }

    /// Sets `metadata.<field>.<key>`, creating the map when needed.
    static func set(_ value: String, for key: String, in field: String, of object: inout JSONValue) {
        var members = object[path: ["metadata", field]]?.objectValue ?? [:]
        members[key] = .string(value)
        object[path: ["metadata", field]] = .object(members)
    }
}
