import Kubernetes

/// Writes typed fields over the JSON an object was decoded from, so that unknown fields survive.
///
/// The typed value's stored properties (found by reflection; their names are the JSON keys) are the keys this
/// version knows at each level. A known key takes the typed value's encoding, or disappears when the typed
/// property is `nil`; every other key of the original stays as it was. Nested structs merge the same way, and so
/// do arrays of structs whose length did not change. Dictionaries, enums and scalars are replaced whole.
/// Typed keys come first in their encoding order (so an object without unknown fields encodes exactly as its typed
/// value does), then the unknown ones, sorted.
enum JSONOverlay {
    /// Property names that are bookkeeping, never JSON keys.
    static let ignoredProperties: Set<String> = ["preserved"]

    /// The merge of `typed` (the encoding of `shape`) over `original`.
    static func merge(original: JSONValue?, typed: JSONValue, shape: Any) -> JSONValue {
        guard let original else { return typed }
        let mirror = Mirror(reflecting: unwrap(shape))
        switch (original, typed, mirror.displayStyle) {
        case (.object(let before), .object(let fields), .struct?):
            var shapes: [String: Any] = [:]
            for child in mirror.children {
                guard let key = child.label, !ignoredProperties.contains(key) else { continue }
                shapes[key] = child.value
            }
            return .object(merge(before, fields, shapes: shapes))
        case (.array(let before), .array(let after), .collection?) where before.count == after.count:
            let shapes = mirror.children.map(\.value)
            guard shapes.count == after.count else { return typed }
            return .array(after.indices.map { merge(original: before[$0], typed: after[$0], shape: shapes[$0]) })
        default:
            return typed
        }
    }

    /// The typed `fields` in their order, each merged over its `before` value; then the keys of `before` that are
    /// neither typed nor known (`shapes`), sorted, so that output does not depend on the decoder's key order.
    ///
    /// A known key missing from `fields` (a `nil` typed property) is dropped.
    static func merge(_ before: JSONObject, _ fields: JSONObject, shapes: [String: Any]) -> JSONObject {
        var result = JSONObject()
        for (key, field) in fields {
            result[key] = shapes[key].map { merge(original: before[key], typed: field, shape: $0) } ?? field
        }
        for key in before.keys.sorted() where result[key] == nil && shapes[key] == nil {
            result[key] = before[key]
        }
        return result
    }

    /// The wrapped value of an optional, or the value itself.
    private static func unwrap(_ value: Any) -> Any {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        guard let wrapped = mirror.children.first?.value else { return value }
        return unwrap(wrapped)
    }
}
