/// A Kubernetes object in unstructured form: a JSON object with typed accessors for the common fields.
///
/// Every accessor reads and writes the underlying ``object``; setting `nil` removes the field
/// (and an empty `metadata` stays as `{}`). Unknown fields are kept untouched, in order.
///
/// ```swift
/// var cm = KubeObject(apiVersion: "v1", kind: "ConfigMap", namespace: "ns", name: "settings")
/// cm.labels["app"] = "web"
/// cm["data"] = ["key": "value"]
/// ```
public struct KubeObject: Sendable, Hashable {
    /// The whole object.
    public var object: JSONObject

    /// Wraps an object.
    public init(_ object: JSONObject) { self.object = object }

    /// Wraps a JSON value; returns nil when it is not an object.
    public init?(_ value: JSONValue) {
        guard case .object(let o) = value else { return nil }
        object = o
    }

    /// A new object with apiVersion, kind and metadata name/namespace.
    public init(apiVersion: String, kind: String, namespace: String? = nil, name: String) {
        object = ["apiVersion": .string(apiVersion), "kind": .string(kind), "metadata": [:]]
        self.namespace = namespace
        self.name = name
    }

    /// Parses JSON text into an object.
    ///
    /// - Throws: ``KubeError`` `.malformedJSON`, or `.invalidArgument` when the text is not a JSON object.
    public init(parsing bytes: some Collection<UInt8>) throws {
        let value = try JSONValue(parsing: bytes)
        guard case .object(let o) = value else {
            throw KubeError(code: .invalidArgument, message: "expected a JSON object, got \(value.typeName)")
        }
        object = o
    }

    /// The object as a JSON value.
    public var value: JSONValue {
        get { .object(object) }
        set { object = newValue.objectValue ?? [:] }
    }

    /// A top-level field (e.g. `spec`, `data`).
    public subscript(key: String) -> JSONValue? {
        get { object[key] }
        set { object[key] = newValue }
    }

    /// Compact JSON bytes.
    public func encoded(pretty: Bool = false) -> [UInt8] { JSONValue.object(object).encoded(pretty: pretty) }
}

// MARK: - Type and metadata

extension KubeObject {
    public var apiVersion: String? {
        get { object["apiVersion"]?.stringValue }
        set { object["apiVersion"] = newValue.map(JSONValue.string) }
    }
    public var kind: String? {
        get { object["kind"]?.stringValue }
        set { object["kind"] = newValue.map(JSONValue.string) }
    }
    /// The group of `apiVersion` ("" for the core group).
    public var group: String {
        guard let apiVersion, let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }
    /// The version of `apiVersion`.
    public var version: String {
        guard let apiVersion else { return "" }
        guard let slash = apiVersion.firstIndex(of: "/") else { return apiVersion }
        return String(apiVersion[apiVersion.index(after: slash)...])
    }

    /// The `metadata` object (created empty when set on an object without one).
    public var metadata: JSONObject {
        get { object["metadata"]?.objectValue ?? [:] }
        set { object["metadata"] = .object(newValue) }
    }

    private func meta(_ key: String) -> JSONValue? { object["metadata"]?[key] }
    private mutating func setMeta(_ key: String, _ value: JSONValue?) {
        guard var m = object["metadata"] else {
            if let value { object["metadata"] = .object([key: value]) }
            return
        }
        object["metadata"] = .null  // keeps the key's position and releases the storage for an in-place edit
        m[key] = value
        object["metadata"] = m
    }

    public var name: String? {
        get { meta("name")?.stringValue }
        set { setMeta("name", newValue.map(JSONValue.string)) }
    }
    public var namespace: String? {
        get { meta("namespace")?.stringValue }
        set { setMeta("namespace", newValue.map(JSONValue.string)) }
    }
    public var generateName: String? {
        get { meta("generateName")?.stringValue }
        set { setMeta("generateName", newValue.map(JSONValue.string)) }
    }
    public var uid: String? {
        get { meta("uid")?.stringValue }
        set { setMeta("uid", newValue.map(JSONValue.string)) }
    }
    public var resourceVersion: String? {
        get { meta("resourceVersion")?.stringValue }
        set { setMeta("resourceVersion", newValue.map(JSONValue.string)) }
    }
    public var generation: Int64? {
        get { meta("generation")?.intValue }
        set { setMeta("generation", newValue.map(JSONValue.int)) }
    }
    /// RFC 3339 text, e.g. "2024-05-01T10:00:00Z".
    public var creationTimestamp: String? {
        get { meta("creationTimestamp")?.stringValue }
        set { setMeta("creationTimestamp", newValue.map(JSONValue.string)) }
    }
    /// RFC 3339 text; set when deletion has been requested.
    public var deletionTimestamp: String? {
        get { meta("deletionTimestamp")?.stringValue }
        set { setMeta("deletionTimestamp", newValue.map(JSONValue.string)) }
    }

    /// metadata.labels (empty when absent; setting an empty dictionary removes the field).
    public var labels: [String: String] {
        get { Self.stringMap(meta("labels")) }
        set { setMeta("labels", Self.stringMapValue(newValue, existing: meta("labels"))) }
    }
    /// metadata.annotations (empty when absent; setting an empty dictionary removes the field).
    public var annotations: [String: String] {
        get { Self.stringMap(meta("annotations")) }
        set { setMeta("annotations", Self.stringMapValue(newValue, existing: meta("annotations"))) }
    }
    /// metadata.finalizers.
    public var finalizers: [String] {
        get { meta("finalizers")?.arrayValue?.compactMap(\.stringValue) ?? [] }
        set { setMeta("finalizers", newValue.isEmpty ? nil : .array(newValue.map(JSONValue.string))) }
    }
    /// metadata.ownerReferences.
    public var ownerReferences: [OwnerReference] {
        get { meta("ownerReferences")?.arrayValue?.compactMap(OwnerReference.init) ?? [] }
        set { setMeta("ownerReferences", newValue.isEmpty ? nil : .array(newValue.map(\.value))) }
    }
    /// The `status` stanza.
    public var status: JSONValue? {
        get { object["status"] }
        set { object["status"] = newValue }
    }

    private static func stringMap(_ value: JSONValue?) -> [String: String] {
        guard let o = value?.objectValue else { return [:] }
        var result: [String: String] = [:]
        for (k, v) in o { if let s = v.stringValue { result[k] = s } }
        return result
    }

    /// Keeps existing keys in their order, appends new keys sorted.
    private static func stringMapValue(_ map: [String: String], existing: JSONValue?) -> JSONValue? {
        guard !map.isEmpty else { return nil }
        var o = JSONObject()
        for (k, _) in existing?.objectValue ?? [:] { if let v = map[k] { o[k] = .string(v) } }
        for k in map.keys.sorted() where o[k] == nil { o[k] = .string(map[k] ?? "") }
        return .object(o)
    }
}

/// One entry of metadata.ownerReferences.
public struct OwnerReference: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(
        apiVersion: String,
        kind: String,
        name: String,
        uid: String,
        controller: Bool? = nil,
        blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// Reads an owner reference; nil when a required field is missing.
    public init?(_ value: JSONValue) {
        guard let apiVersion = value["apiVersion"]?.stringValue, let kind = value["kind"]?.stringValue,
            let name = value["name"]?.stringValue, let uid = value["uid"]?.stringValue
        else { return nil }
        self.init(
            apiVersion: apiVersion,
            kind: kind,
            name: name,
            uid: uid,
            controller: value["controller"]?.boolValue,
            blockOwnerDeletion: value["blockOwnerDeletion"]?.boolValue
        )
    }

    /// The JSON form, in the API server's field order.
    public var value: JSONValue {
        var o: JSONObject = [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid),
        ]
        if let controller { o["controller"] = .bool(controller) }
        if let blockOwnerDeletion { o["blockOwnerDeletion"] = .bool(blockOwnerDeletion) }
        return .object(o)
    }
}
