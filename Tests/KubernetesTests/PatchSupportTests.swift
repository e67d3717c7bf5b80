import Kubernetes

/// Parses JSON text in a test.
func patchJSON(_ text: String) throws -> JSONValue {
    try JSONValue(parsing: text)
}

/// The value with every object's keys sorted, for comparisons where member order does not matter.
func patchKeySorted(_ value: JSONValue) -> JSONValue {
    switch value {
    case .object(let o):
        var sorted = JSONObject()
        for key in o.keys.sorted() { sorted[key] = patchKeySorted(o[key] ?? .null) }
        return .object(sorted)
    case .array(let a):
        return .array(a.map(patchKeySorted))
    default:
        return value
    }
}
