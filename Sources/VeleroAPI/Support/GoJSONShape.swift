package import Kubernetes

/// How Go's `encoding/json` writes a value of one Go type: struct fields in declaration order with their
/// `omitempty` rules, map keys sorted, list elements alike.
///
/// ``ordered(_:)`` turns any JSON of that type (however it was built or decoded) into what Go would write for it,
/// so that `ordered(value).encoded(indentWidth: 2)` gives the bytes of `json.MarshalIndent(v, "", "  ")`:
///
/// ```swift
/// let shape = GoJSONShape.object([.init("name"), .init("labels", .map(.value), omit: .ifEmpty)])
/// shape.ordered(["labels": [:], "name": "a"])   // {"name":"a"}
/// ```
package indirect enum GoJSONShape: Sendable {
    /// A scalar, or JSON Go keeps as it is (`FieldsV1`, `RawExtension`); objects inside get sorted keys, as Go
    /// writes its maps and the API server its field sets.
    case value
    /// A Go map: keys sorted by their UTF-8 bytes, each value of `element`'s shape.
    case map(GoJSONShape)
    /// A Go slice or array of `element`'s shape.
    case list(GoJSONShape)
    /// A Go struct: `fields` in declaration order. Keys the struct does not declare (written by another
    /// version) follow, sorted, with their values kept.
    case object([GoJSONField])

    /// `value` as Go writes a value of this shape (see ``GoJSONShape``).
    package func ordered(_ value: JSONValue) -> JSONValue {
        switch (self, value) {
        case (.object(let fields), .object(let members)):
            var result = JSONObject()
            for field in fields {
                if let member = members[field.name] {
                    guard !field.omit.omits(member) else { continue }
                    result[field.name] = field.shape.ordered(member)
                } else if let absent = field.absent {
                    result[field.name] = absent
                }
            }
            let declared = Set(fields.map(\.name))
            for key in Self.goSorted(members.keys) where !declared.contains(key) {
                result[key] = members[key].map(GoJSONShape.value.ordered)
            }
            return .object(result)
        case (.map(let element), .object(let members)):
            var result = JSONObject()
            for key in Self.goSorted(members.keys) { result[key] = members[key].map(element.ordered) }
            return .object(result)
        case (.value, .object):
            return GoJSONShape.map(.value).ordered(value)
        case (.list(let element), .array(let elements)):
            return .array(elements.map(element.ordered))
        case (.value, .array(let elements)):
            return .array(elements.map(GoJSONShape.value.ordered))
        default:
            return value
        }
    }

    /// Keys in Go's map order: by their UTF-8 bytes.
    package static func goSorted(_ keys: some Sequence<String>) -> [String] {
        keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// One field of a Go struct as `encoding/json` writes it.
package struct GoJSONField: Sendable {
    /// When Go leaves the field out.
    package enum Omission: Sendable {
        /// Never (no `omitempty`, or a non-pointer struct, which `omitempty` does not omit).
        case never
        /// When `nil`: `omitempty` on a pointer (`*bool`, `*metav1.Time`, `*Struct`).
        case ifNull
        /// When empty: `omitempty` on a string, number, bool, slice or map (`""`, `0`, `false`, `[]`, `{}`,
        /// and `null` for a nil slice or map).
        case ifEmpty

        /// Whether Go omits a field of this kind whose value is `value`.
        func omits(_ value: JSONValue) -> Bool {
            switch self {
            case .never: return false
            case .ifNull: return value.isNull
            case .ifEmpty:
                switch value {
                case .null: return true
                case .bool(let b): return !b
                case .int(let i): return i == 0
                case .double(let d): return d == 0
                case .string(let s): return s.isEmpty
                case .array(let a): return a.isEmpty
                case .object(let o): return o.isEmpty
                }
            }
        }
    }

    /// The JSON key.
    package var name: String
    /// The shape of its value.
    package var shape: GoJSONShape
    /// When Go leaves it out.
    package var omit: Omission
    /// What Go writes when the JSON lacks the field but Go always writes it (`creationTimestamp: null` of a zero
    /// `metav1.Time`, `apiGroup: null`); `nil` leaves a missing field missing.
    package var absent: JSONValue?

    /// A field named `name` of `shape`.
    package init(_ name: String, _ shape: GoJSONShape = .value, omit: Omission = .ifEmpty, absent: JSONValue? = nil) {
        self.name = name
        self.shape = shape
        self.omit = omit
        self.absent = absent
    }

    /// A field with `omitempty` on a pointer (omitted only when `nil`).
    package static func pointer(_ name: String, _ shape: GoJSONShape = .value) -> GoJSONField {
        GoJSONField(name, shape, omit: .ifNull)
    }

    /// A field Go always writes (no `omitempty`, or a non-pointer struct).
    package static func always(_ name: String, _ shape: GoJSONShape = .value, absent: JSONValue? = nil) -> GoJSONField {
        GoJSONField(name, shape, omit: .never, absent: absent)
    }
}
