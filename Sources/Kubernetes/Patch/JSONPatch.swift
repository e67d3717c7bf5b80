/// An RFC 6902 JSON patch (`application/json-patch+json`): a list of add/remove/replace/move/copy/test
/// operations applied in order; the first failing operation fails the whole patch.
///
/// ```swift
/// let patch = try JSONPatch(json: [["op": "add", "path": "/data/k", "value": "v"]])
/// let updated = try patch.apply(to: configMap)
/// ```
public struct JSONPatch: Sendable, Hashable {
    /// One operation.
    public enum Operation: Sendable, Hashable {
        case add(path: JSONPointer, value: JSONValue)
        case remove(path: JSONPointer)
        case replace(path: JSONPointer, value: JSONValue)
        case move(from: JSONPointer, path: JSONPointer)
        case copy(from: JSONPointer, path: JSONPointer)
        case test(path: JSONPointer, value: JSONValue)

        /// The operation's name ("add", "remove", ...).
        public var name: String {
            switch self {
            case .add: "add"
            case .remove: "remove"
            case .replace: "replace"
            case .move: "move"
            case .copy: "copy"
            case .test: "test"
            }
        }

        /// The operation's target path.
        public var path: JSONPointer {
            switch self {
            case .add(let p, _), .remove(let p), .replace(let p, _), .move(_, let p), .copy(_, let p), .test(let p, _):
                p
            }
        }
    }

    /// The operations, in order.
    public var operations: [Operation]

    /// Creates a patch from operations.
    public init(operations: [Operation]) {
        self.operations = operations
    }

    /// Reads a patch document (a JSON array of operation objects).
    ///
    /// - Throws: ``KubeError`` with code `.badRequest` naming the operation index and the problem
    ///   (not an array, unknown `op`, missing `path`/`from`/`value`, malformed pointer).
    public init(json: JSONValue) throws {
        guard case .array(let items) = json else {
            throw KubeError(
                code: .badRequest,
                message: "json patch must be a JSON array of operations, got \(json.typeName)"
            )
        }
        var ops: [Operation] = []
        for (index, item) in items.enumerated() {
            func fail(_ text: String) -> KubeError {
                KubeError(code: .badRequest, message: "json patch operation \(index): \(text)")
            }
            guard case .object(let o) = item else { throw fail("must be an object, got \(item.typeName)") }
            guard let op = o["op"]?.stringValue else { throw fail("missing string member \"op\"") }
            func pointer(_ key: String) throws -> JSONPointer {
                guard let text = o[key]?.stringValue else { throw fail("\(op) needs a string member \"\(key)\"") }
                do { return try JSONPointer(parsing: text) } catch let e as KubeError { throw fail(e.message) }
            }
            func value() throws -> JSONValue {
                guard let v = o["value"] else { throw fail("\(op) needs a member \"value\"") }
                return v
            }
            switch op {
            case "add": ops.append(.add(path: try pointer("path"), value: try value()))
            case "remove": ops.append(.remove(path: try pointer("path")))
            case "replace": ops.append(.replace(path: try pointer("path"), value: try value()))
            case "move": ops.append(.move(from: try pointer("from"), path: try pointer("path")))
            case "copy": ops.append(.copy(from: try pointer("from"), path: try pointer("path")))
            case "test": ops.append(.test(path: try pointer("path"), value: try value()))
            default: throw fail("unknown op \"\(op)\"")
            }
        }
        operations = ops
    }

    /// Applies the operations in order to `document`.
    ///
    /// - Throws: ``KubeError`` with code `.invalid` (HTTP 422 in kube-apiserver) whose message names the
    ///   operation index, its name and its path, e.g.
    ///   `json patch operation 1 (replace) failed at path "/spec/x": the path does not exist`.
    public func apply(to document: JSONValue) throws -> JSONValue {
        var doc = document
        for (index, op) in operations.enumerated() {
            func fail(_ pointer: JSONPointer, _ text: String) -> KubeError {
                KubeError(
                    code: .invalid,
                    message: "json patch operation \(index) (\(op.name)) failed at path \"\(pointer)\": \(text)"
                )
            }
            switch op {
            case .add(let path, let value):
                try JSONPatch.add(value, at: path, in: &doc) { fail(path, $0) }
            case .remove(let path):
                _ = try JSONPatch.remove(at: path, in: &doc) { fail(path, $0) }
            case .replace(let path, let value):
                guard doc[pointer: path] != nil else { throw fail(path, "the path does not exist") }
                if path.tokens.isEmpty {
                    doc = value
                    continue
                }
                _ = try JSONPatch.remove(at: path, in: &doc) { fail(path, $0) }
                try JSONPatch.add(value, at: path, in: &doc) { fail(path, $0) }
            case .move(let from, let path):
                if from == path { continue }
                if from.isPrefix(of: path) { throw fail(path, "cannot move \"\(from)\" into its own child") }
                let value = try JSONPatch.remove(at: from, in: &doc) { fail(from, $0) }
                try JSONPatch.add(value, at: path, in: &doc) { fail(path, $0) }
            case .copy(let from, let path):
                guard let value = doc[pointer: from] else { throw fail(from, "the \"from\" path does not exist") }
                try JSONPatch.add(value, at: path, in: &doc) { fail(path, $0) }
            case .test(let path, let value):
                guard let actual = doc[pointer: path] else { throw fail(path, "the path does not exist") }
                guard JSONPatch.equal(actual, value) else {
                    throw fail(path, "test failed: the value is \(actual), not \(value)")
                }
            }
        }
        return doc
    }

    // MARK: - Operations on a document

    private static func add(
        _ value: JSONValue,
        at path: JSONPointer,
        in doc: inout JSONValue,
        fail: (String) -> KubeError
    ) throws {
        guard let last = path.tokens.last else {
            doc = value
            return
        }
        try modify(at: Array(path.tokens.dropLast()), in: &doc, fail: fail) { container in
            switch container {
            case .object(var o):
                container = .null
                o[last] = value
                container = .object(o)
            case .array(var a):
                let index: Int
                if last == "-" {
                    index = a.count
                } else {
                    guard let i = JSONPointer.arrayIndex(last) else { throw fail("\"\(last)\" is not an array index") }
                    guard i <= a.count else { throw fail("index \(i) is out of bounds (array length \(a.count))") }
                    index = i
                }
                container = .null
                a.insert(value, at: index)
                container = .array(a)
            default:
                throw fail("the parent is a \(container.typeName), not an object or array")
            }
        }
    }

    private static func remove(
        at path: JSONPointer,
        in doc: inout JSONValue,
        fail: (String) -> KubeError
    ) throws -> JSONValue {
        guard let last = path.tokens.last else { throw fail("cannot remove the whole document") }
        var removed: JSONValue = .null
        try modify(at: Array(path.tokens.dropLast()), in: &doc, fail: fail) { container in
            switch container {
            case .object(var o):
                guard let v = o[last] else { throw fail("the path does not exist") }
                container = .null
                o.removeValue(forKey: last)
                removed = v
                container = .object(o)
            case .array(var a):
                guard let i = JSONPointer.arrayIndex(last), a.indices.contains(i) else {
                    throw fail("index \"\(last)\" is out of bounds (array length \(a.count))")
                }
                container = .null
                removed = a.remove(at: i)
                container = .array(a)
            default:
                throw fail("the parent is a \(container.typeName), not an object or array")
            }
        }
        return removed
    }

    /// Runs `body` on the container at `tokens`, writing the result back.
    private static func modify(
        at tokens: [String],
        in value: inout JSONValue,
        fail: (String) -> KubeError,
        _ body: (inout JSONValue) throws -> Void
    ) throws {
        guard let first = tokens.first else {
            try body(&value)
            return
        }
        let rest = Array(tokens.dropFirst())
        switch value {
        case .object(var o):
            guard var child = o[first] else { throw fail("the path does not exist (missing \"\(first)\")") }
            try modify(at: rest, in: &child, fail: fail, body)
            o[first] = child
            value = .object(o)
        case .array(var a):
            guard let i = JSONPointer.arrayIndex(first), a.indices.contains(i) else {
                throw fail("the path does not exist (no index \"\(first)\")")
            }
            var child = a[i]
            try modify(at: rest, in: &child, fail: fail, body)
            a[i] = child
            value = .array(a)
        default:
            throw fail("the path does not exist (\"\(first)\" is inside a \(value.typeName))")
        }
    }

    /// RFC 6902 §4.6 equality: numbers compare by value, objects ignore member order.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int, .double), (.double, .int), (.double, .double):
            return a.doubleValue == b.doubleValue
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default:
            return a == b
        }
    }
}
