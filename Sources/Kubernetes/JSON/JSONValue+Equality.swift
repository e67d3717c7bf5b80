extension JSONValue {
    /// JSON equality: objects compare as unordered maps (same keys, equal values), arrays in order.
    ///
    /// Key order is kept for output only; an object read from a list (where `apiVersion` and `kind`
    /// are filled in first) equals the same object read with GET.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a {
                guard let other = b[key], other == value else { return false }
            }
            return true
        default: return false
        }
    }

    /// Hashes consistently with `==`: an object's hash does not depend on its key order.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b):
            hasher.combine(1)
            hasher.combine(b)
        case .int(let i):
            hasher.combine(2)
            hasher.combine(i)
        case .double(let d):
            hasher.combine(3)
            hasher.combine(d)
        case .string(let s):
            hasher.combine(4)
            hasher.combine(s)
        case .array(let a):
            hasher.combine(5)
            hasher.combine(a.count)
            for element in a { element.hash(into: &hasher) }
        case .object(let o):
            hasher.combine(6)
            hasher.combine(o.count)
            var combined = 0
            for (key, value) in o {
                var entry = Hasher()
                entry.combine(key)
                value.hash(into: &entry)
                combined ^= entry.finalize()
            }
            hasher.combine(combined)
        }
    }
}
