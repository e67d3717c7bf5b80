package import Kubernetes

extension ResourceModifiers {
    /// Turns a patch or match `value` string into JSON the way Velero builds its patch text: "" is the
    /// empty string; a value wrapped in double quotes is that string (forcing `"true"`, `"null"`, `"3"` to
    /// stay strings); `null`, `true`/`false` (any case), text starting with `{` or `[`, and numbers are
    /// parsed as JSON; anything else is a string whose JSON escapes (`\"`, `\n`) are decoded.
    ///
    /// - Throws: ``BackupEngineError`` `.invalidModifiers` when the text is not valid JSON in its form
    ///   (e.g. `TRUE`, `{broken`), as Velero fails decoding the patch.
    package static func patchValue(_ text: String) throws -> JSONValue {
        var value = text
        var quoted: Bool
        if value.isEmpty {
            quoted = true
        } else if value.count >= 1, value.hasPrefix("\""), value.hasSuffix("\"") {
            value.removeFirst()
            if value.hasSuffix("\"") { value.removeLast() }
            quoted = true
        } else if value == "null" || value.lowercased() == "true" || value.lowercased() == "false" {
            quoted = false
        } else if value.hasPrefix("{") || value.hasPrefix("[") {
            quoted = false
        } else {
            quoted = Double(value) == nil
        }
        let json = quoted ? "\"\(value)\"" : value
        do {
            return try JSONValue(parsing: json)
        } catch {
            throw BackupEngineError(
                code: .invalidModifiers,
                message: "error in decoding json patch: value \(json) is not valid JSON",
                cause: error
            )
        }
    }
}

/// A `test` of the value at a JSON pointer, with json-patch's distinction between a missing parent
/// (the path is missing) and a missing member (the test fails unless the expected value is null).
struct CompiledTest: Sendable {
    enum Outcome { case passed, failed, missing }

    let pointer: JSONPointer
    let expected: JSONValue

    init(path: String, value: String, at location: String, reader: ModifierDocumentReader) throws {
        do { pointer = try JSONPointer(parsing: path) } catch {
            throw reader.fail("\(location).path", "invalid JSON pointer \"\(path)\"")
        }
        do { expected = try ResourceModifiers.patchValue(value) } catch let e as BackupEngineError {
            throw reader.fail("\(location).value", e.message)
        }
    }

    func evaluate(on document: JSONValue) -> Outcome {
        guard let parent = pointer.parent else {
            return JSONSemantics.equalForTest(document, expected) ? .passed : .failed
        }
        guard let container = document[pointer: parent], container.objectValue != nil || container.arrayValue != nil
        else { return .missing }
        guard let actual = document[pointer: pointer] else {
            return expected.isNull ? .passed : .failed
        }
        if expected.isNull { return actual.isNull ? .passed : .failed }
        return JSONSemantics.equalForTest(actual, expected) ? .passed : .failed
    }
}

/// One validated `patches` entry.
enum CompiledOperation: Sendable {
    case test(CompiledTest)
    case apply(JSONPatch.Operation)

    static let supported: Set<String> = ["add", "remove", "replace", "test", "move", "copy"]

    init(_ operation: ResourceModifiers.PatchOperation, at location: String, reader: ModifierDocumentReader) throws {
        let name = operation.operation.lowercased()
        guard !name.isEmpty else { throw reader.fail("\(location).operation", "operation cannot be empty") }
        guard Self.supported.contains(name) else {
            throw reader.fail("\(location).operation", "unsupported operation \(operation.operation)")
        }
        guard !operation.path.isEmpty else { throw reader.fail("\(location).path", "path cannot be empty") }
        if name == "test" {
            self = .test(try CompiledTest(path: operation.path, value: operation.value, at: location, reader: reader))
            return
        }
        func pointer(_ text: String, _ field: String) throws -> JSONPointer {
            do { return try JSONPointer(parsing: text) } catch {
                throw reader.fail("\(location).\(field)", "invalid JSON pointer \"\(text)\"")
            }
        }
        let path = try pointer(operation.path, "path")
        func value() throws -> JSONValue {
            do { return try ResourceModifiers.patchValue(operation.value) } catch let e as BackupEngineError {
                throw reader.fail("\(location).value", e.message)
            }
        }
        switch name {
        case "add": self = .apply(.add(path: path, value: try value()))
        case "remove": self = .apply(.remove(path: path))
        case "replace": self = .apply(.replace(path: path, value: try value()))
        case "move": self = .apply(.move(from: try pointer(operation.from, "from"), path: path))
        default: self = .apply(.copy(from: try pointer(operation.from, "from"), path: path))
        }
    }
}

/// A compiled `resourceNameRegex`, searched (not anchored) in the item's name like Go's `regexp.MatchString`.
struct NameRegex: @unchecked Sendable {
    // Regex is an immutable value once compiled; it is only read (matched) after init.
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws {
        regex = try Regex(pattern)
    }

    func matches(_ name: String) -> Bool {
        name.contains(regex)
    }
}

/// Equality used by the restore transforms.
enum JSONSemantics {
    /// Structural equality that ignores object member order and keeps integers and doubles apart, like
    /// `equality.Semantic.DeepEqual` on unstructured objects decoded from JSON.
    static func deepEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (key, value) in x {
                guard let other = y[key], deepEqual(value, other) else { return false }
            }
            return true
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { deepEqual($0, $1) }
        default:
            return a == b
        }
    }

    /// json-patch `test` equality: like ``deepEqual(_:_:)`` but numbers compare by value.
    static func equalForTest(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (key, value) in x {
                guard let other = y[key], equalForTest(value, other) else { return false }
            }
            return true
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equalForTest($0, $1) }
        case (.int, .double), (.double, .int), (.double, .double):
            return a.doubleValue == b.doubleValue
        default:
            return a == b
        }
    }
}
