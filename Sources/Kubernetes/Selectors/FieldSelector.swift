/// A field selector (`metadata.name=x,status.phase!=Running`): requirements on dotted field paths with
/// `=`, `==` or `!=`, parsed like apimachinery's `fields.ParseSelector` (values may escape `\,` `\=` `\\`).
///
/// ```swift
/// let f = try FieldSelector(parsing: "metadata.name=cm-1")
/// f.matches { path in path == "metadata.name" ? "cm-1" : nil }   // true
/// f.matches(object)                                                // reads dotted paths from a KubeObject
/// ```
public struct FieldSelector: Sendable, Hashable {
    /// One `field op value` term.
    public struct Requirement: Sendable, Hashable {
        public enum Operator: String, Sendable, Hashable {
            case equals = "="
            case doubleEquals = "=="
            case notEquals = "!="
        }
        public var field: String
        public var `operator`: Operator
        public var value: String

        public init(field: String, operator op: Operator, value: String) {
            self.field = field
            self.operator = op
            self.value = value
        }

        /// Whether the field's value (missing fields read as "") satisfies the requirement.
        public func matches(_ actual: String?) -> Bool {
            switch self.operator {
            case .equals, .doubleEquals: return (actual ?? "") == value
            case .notEquals: return (actual ?? "") != value
            }
        }
    }

    /// The requirements, sorted by field like apimachinery.
    public private(set) var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) {
        self.requirements = requirements.enumerated().sorted { a, b in
            a.element.field != b.element.field ? a.element.field < b.element.field : a.offset < b.offset
        }.map(\.element)
    }

    /// The selector that matches everything.
    public static let everything = FieldSelector()

    /// Whether there are no requirements.
    public var isEmpty: Bool { requirements.isEmpty }

    /// Parses the string syntax; "" is everything.
    ///
    /// - Throws: ``KubeError`` `.invalidSelector` naming the selector and the term, e.g.
    ///   `invalid field selector "foo": invalid selector: 'foo'; can't understand 'foo'`.
    public init(parsing text: String) throws {
        var result: [Requirement] = []
        for term in FieldSelector.splitTerms(text) {
            let trimmed = term.trimmingSpaces()
            if trimmed.isEmpty { continue }
            guard let (field, op, rawValue) = FieldSelector.splitOperator(trimmed) else {
                throw KubeError(
                    code: .invalidSelector,
                    message:
                        "invalid field selector \"\(text)\": invalid selector: '\(trimmed)'; can't understand '\(trimmed)'"
                )
            }
            let fieldName = field.trimmingSpaces()
            guard !fieldName.isEmpty else {
                throw KubeError(
                    code: .invalidSelector,
                    message: "invalid field selector \"\(text)\": empty field name in '\(trimmed)'"
                )
            }
            guard let value = FieldSelector.unescape(rawValue) else {
                throw KubeError(
                    code: .invalidSelector,
                    message: "invalid field selector \"\(text)\": invalid escape sequence in '\(trimmed)'"
                )
            }
            result.append(Requirement(field: fieldName, operator: op, value: value))
        }
        self.init(result)
    }

    /// Whether every requirement holds, reading field values through `lookup` (dotted path → value).
    public func matches(_ lookup: (String) -> String?) -> Bool {
        for r in requirements where !r.matches(lookup(r.field)) { return false }
        return true
    }

    /// Whether every requirement holds for an object, reading dotted paths (`metadata.name`, `spec.nodeName`,
    /// `status.phase`); numbers and booleans compare by their JSON text.
    public func matches(_ object: KubeObject) -> Bool {
        matches { path in
            guard let v = object.value[path: path.split(separator: ".").map(String.init)] else { return nil }
            switch v {
            case .string(let s): return s
            case .null: return nil
            case .bool, .int, .double: return v.jsonString
            case .array, .object: return nil
            }
        }
    }

    // MARK: parsing helpers

    /// Splits on unescaped commas.
    private static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var escaped = false
        for c in text {
            if escaped {
                current.append("\\")
                current.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "," {
                terms.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        if escaped { current.append("\\") }
        terms.append(current)
        return terms
    }

    /// Finds the first unescaped operator (`!=`, `==`, `=`).
    private static func splitOperator(_ term: String) -> (String, Requirement.Operator, String)? {
        let chars = Array(term)
        var i = 0
        while i < chars.count {
            if chars[i] == "\\" {
                i += 2
                continue
            }
            if chars[i] == "!", i + 1 < chars.count, chars[i + 1] == "=" {
                return (String(chars[..<i]), .notEquals, String(chars[(i + 2)...]))
            }
            if chars[i] == "=" {
                if i + 1 < chars.count, chars[i + 1] == "=" {
                    return (String(chars[..<i]), .doubleEquals, String(chars[(i + 2)...]))
                }
                return (String(chars[..<i]), .equals, String(chars[(i + 1)...]))
            }
            i += 1
        }
        return nil
    }

    private static func unescape(_ s: String) -> String? {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                guard c == "\\" || c == "," || c == "=" else { return nil }
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return escaped ? nil : out
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "\\" || c == "," || c == "=" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

extension FieldSelector: CustomStringConvertible {
    /// The canonical text (sorted by field, values escaped).
    public var description: String {
        requirements.map { "\($0.field)\($0.operator.rawValue)\(FieldSelector.escape($0.value))" }.joined(
            separator: ","
        )
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
