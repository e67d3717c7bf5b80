// Re-exported so that every module importing Kubernetes can use JSONObject (an OrderedDictionary) directly.
@_exported public import OrderedCollections

/// An unstructured JSON object whose keys keep the order they were parsed or inserted in,
/// like the API server's own output.
public typealias JSONObject = OrderedDictionary<String, JSONValue>

/// An unstructured JSON value: the currency of the dynamic Kubernetes client.
///
/// Integers that fit in `Int64` are kept as ``int(_:)``; every other number is a ``double(_:)``
/// (like apimachinery's unstructured converter). Objects keep key order.
///
/// ```swift
/// var cm = try JSONValue(parsing: #"{"metadata":{"name":"a"}}"#)
/// cm["metadata"]?["name"]?.stringValue          // "a"
/// cm["metadata"]?["labels"] = ["app": "web"]     // settable, creates intermediate objects
/// let bytes = cm.encoded()                       // compact JSON, Go-compatible escaping
/// ```
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

// MARK: - Accessors

extension JSONValue {
    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer, if this is an integer or a double with an integral value that fits in `Int64`.
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d):
            guard d.isFinite, d == d.rounded(), abs(d) < 9.2e18 else { return nil }
            return Int64(d)
        default: return nil
        }
    }

    /// The number as a `Double`, if this is a number.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The boolean, if this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The members, if this is an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name of the JSON type, for error messages ("object", "array", "string", ...).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

// MARK: - Subscripts

extension JSONValue {
    /// The member named `key` of an object (nil for a missing key or a non-object).
    ///
    /// Setting a value on a non-object turns it into an object; setting `nil` removes the key.
    public subscript(key: String) -> JSONValue? {
        get {
            if case .object(let o) = self { return o[key] }
            return nil
        }
        set {
            if case .object(var o) = self {
                self = .null  // release the storage so the mutation below is in place
                o[key] = newValue
                self = .object(o)
            } else if let newValue {
                self = .object([key: newValue])
            }
        }
    }

    /// The element at `index` of an array (nil when out of range or not an array).
    ///
    /// Setting replaces an existing element; setting out of range or `nil` does nothing.
    public subscript(index: Int) -> JSONValue? {
        get {
            if case .array(let a) = self, a.indices.contains(index) { return a[index] }
            return nil
        }
        set {
            guard case .array(var a) = self, a.indices.contains(index), let newValue else { return }
            self = .null
            a[index] = newValue
            self = .array(a)
        }
    }

    /// The value at a path of object keys, e.g. `value[path: ["spec", "template", "metadata"]]`.
    ///
    /// Setting creates the intermediate objects; setting `nil` removes the last key.
    public subscript(path path: [String]) -> JSONValue? {
        get {
            var current: JSONValue? = self
            for key in path { current = current?[key] }
            return current
        }
        set {
            guard let first = path.first else {
                self = newValue ?? .null
                return
            }
            if path.count == 1 {
                self[first] = newValue
                return
            }
            var child = self[first] ?? .object([:])
            if child.objectValue == nil {
                guard newValue != nil else { return }
                child = .object([:])
            }
            child[path: Array(path.dropFirst())] = newValue
            self[first] = child
        }
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var o = JSONObject(minimumCapacity: elements.count)
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text.
    public var description: String { jsonString }
}
