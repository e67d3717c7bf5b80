import Foundation
import Yams

extension JSONValue {
    /// Parses a single YAML document (kubeconfig, a manifest) into a JSON value.
    ///
    /// Scalars resolve like Kubernetes' YAML reader (sigs.k8s.io/yaml): null/`~`, booleans, integers
    /// (→ ``int(_:)``), floats (→ ``double(_:)``), everything else (timestamps included) → string.
    /// Mapping keys become strings. An empty document is `null`. Aliases may expand the document to at most
    /// twice its size without expansion plus 100,000 values (like go-yaml's "excessive aliasing" check).
    ///
    /// - Throws: ``KubeError`` with code ``KubeError/Code/malformedYAML`` naming the line and column.
    public init(yaml text: String) throws {
        do {
            let size = try JSONValue.checkMappingKeys(text)
            guard let node = try Yams.compose(yaml: text) else {
                self = .null
                return
            }
            var budget = YAMLExpansionBudget(unexpandedSize: size)
            self = try JSONValue(node: node, budget: &budget)
        } catch let e as KubeError {
            throw e
        } catch {
            throw KubeError(
                code: .malformedYAML,
                message: "invalid YAML: \(error)".replacingOccurrences(of: "\n", with: " ")
            )
        }
    }

    /// Parses a multi-document YAML stream (`---` separated); empty documents are skipped.
    public static func yamlDocuments(_ text: String) throws -> [JSONValue] {
        do {
            var result: [JSONValue] = []
            var budget = YAMLExpansionBudget(unexpandedSize: try JSONValue.checkMappingKeys(text))
            for node in try Yams.compose_all(yaml: text) {
                let value = try JSONValue(node: node, budget: &budget)
                if !value.isNull { result.append(value) }
            }
            return result
        } catch let e as KubeError {
            throw e
        } catch {
            throw KubeError(
                code: .malformedYAML,
                message: "invalid YAML: \(error)".replacingOccurrences(of: "\n", with: " ")
            )
        }
    }

    /// Parses YAML or JSON text (JSON is a subset of YAML; JSON text takes the fast path).
    public init(yamlOrJSON text: String) throws {
        let first = text.first { !$0.isWhitespace }
        if first == "{" || first == "[" {
            if let value = try? JSONValue(parsing: text) {
                self = value
                return
            }
        }
        try self.init(yaml: text)
    }

    private init(node: Node, budget: inout YAMLExpansionBudget) throws {
        try budget.spend()
        switch node {
        case .scalar(let scalar):
            self = JSONValue.resolve(scalar)
        case .sequence(let sequence):
            self = .array(try sequence.map { try JSONValue(node: $0, budget: &budget) })
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                let keyString: String
                switch key {
                case .scalar(let s): keyString = s.string
                default:
                    throw KubeError(
                        code: .malformedYAML,
                        message: "invalid YAML at line \(key.mark?.line ?? 0): mapping keys must be scalars"
                    )
                }
                object[keyString] = try JSONValue(node: value, budget: &budget)
            }
            self = .object(object)
        case .alias:
            throw KubeError(
                code: .malformedYAML,
                message: "invalid YAML at line \(node.mark?.line ?? 0): unresolved alias"
            )
        }
    }

    /// Rejects mapping keys that are not plain scalars before the real composition.
    ///
    /// Yams' composer hashes every mapping key to find duplicates, and a key that is a collection made of aliases
    /// hashes its whole expansion: exponential time, before ``init(node:budget:)`` could count anything. So a
    /// copy of the text whose aliases (`*name`) are replaced by plain scalars — same structure, nothing to
    /// expand — is composed first, and its keys checked: a collection, or an alias, used as a key is an error
    /// (JSON keys are strings; this reader never accepted collection keys).
    ///
    /// - Returns: the number of nodes without alias expansion (`nil` when the text has no aliases).
    /// - Throws: ``KubeError`` `.malformedYAML` naming the line of the offending key.
    static func checkMappingKeys(_ text: String) throws -> Int? {
        guard text.contains("*") else { return nil }
        let marker = "lifeboat-yaml-alias"
        var standIn = String.UnicodeScalarView()
        var previous: Unicode.Scalar = " "
        var scalars = text.unicodeScalars[...]
        func isNameScalar(_ s: Unicode.Scalar) -> Bool {
            s.properties.isASCIIHexDigit || ("g"..."z").contains(s) || ("G"..."Z").contains(s) || s == "_" || s == "-"
        }
        while let scalar = scalars.popFirst() {
            if scalar == "*", " \t\r\n[{,".unicodeScalars.contains(previous), let next = scalars.first,
                isNameScalar(next)
            {
                scalars = scalars.drop { isNameScalar($0) }
                standIn.append(contentsOf: marker.unicodeScalars)
                previous = "a"
                continue
            }
            standIn.append(scalar)
            previous = scalar
        }
        // The stand-in has the text's syntax, so where it does not parse the text does not either; stop there,
        // before Yams composes (and checks the keys of) the mappings that come before the error.
        var pending: [Node] = []
        let parser = try Parser(yaml: String(standIn))
        while let root = try parser.nextRoot() { pending.append(root) }
        var size = 0
        while let node = pending.popLast() {
            size += 1
            switch node {
            case .scalar, .alias: continue
            case .sequence(let sequence): pending.append(contentsOf: sequence)
            case .mapping(let mapping):
                for (key, value) in mapping {
                    guard case .scalar(let scalar) = key, scalar.string != marker else {
                        throw KubeError(
                            code: .malformedYAML,
                            message: "invalid YAML at line \(key.mark?.line ?? 0): mapping keys must be scalars, "
                                + "not collections or aliases"
                        )
                    }
                    pending.append(value)
                }
            }
        }
        return size
    }

    private static func resolve(_ scalar: Node.Scalar) -> JSONValue {
        if scalar.style != .plain && scalar.style != .any { return .string(scalar.string) }
        switch Resolver.default.resolveTag(of: .scalar(scalar)) {
        case .null: return .null
        case .bool:
            return Bool.construct(from: scalar).map(JSONValue.bool) ?? .string(scalar.string)
        case .int:
            if let i = Int64(scalar.string.replacingOccurrences(of: "_", with: "")) { return .int(i) }
            if let i = Int.construct(from: scalar) { return .int(Int64(i)) }
            return Double.construct(from: scalar).map(JSONValue.double) ?? .string(scalar.string)
        case .float:
            if let d = Double.construct(from: scalar), d.isFinite { return .double(d) }
            return .string(scalar.string)
        default: return .string(scalar.string)
        }
    }

    // MARK: - Emitting

    /// The value as YAML text, like `kubectl get -o yaml`: block style, keys in order, strings that would
    /// read back as another type double-quoted, multi-line strings as literal blocks.
    public func yamlString() -> String {
        do {
            var text = try Yams.serialize(
                node: yamlNode(),
                indent: 2,
                width: -1,
                allowUnicode: true,
                newLineScalarStyle: .literal
            )
            if text.hasSuffix("...\n") { text.removeLast(4) }
            return text
        } catch {
            // Emitting a tree of plain scalars, sequences and mappings cannot fail; fall back to JSON, which is YAML.
            return prettyJSONString + "\n"
        }
    }

    private func yamlNode() -> Node {
        switch self {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool))
        case .int(let i): return Node(String(i), Tag(.int))
        case .double(let d):
            let text = String(decoding: JSONValue.double(d).encoded(), as: UTF8.self)
            return Node(text, Tag(text.contains(".") || text.contains("e") ? .float : .int))
        case .string(let s):
            let plain = Node.Scalar(s)
            if Resolver.default.resolveTag(of: .scalar(plain)) == .str && !s.isEmpty && s.first != " " && s.last != " "
            {
                return .scalar(plain)
            }
            return .scalar(Node.Scalar(s, Tag(.str), s.contains("\n") ? .literal : .doubleQuoted))
        case .array(let a):
            return .sequence(Node.Sequence(a.map { $0.yamlNode() }))
        case .object(let o):
            return .mapping(Node.Mapping(o.map { (Node($0.key), $0.value.yamlNode()) }))
        }
    }
}

/// How many values a YAML text may expand to. An alias repeats the whole node it names, so a few hundred bytes
/// of anchors and aliases can stand for billions of values ("billion laughs"). The limit is twice the document's
/// size with each alias counted once, plus 100,000: room for ordinary aliasing (merge keys, shared blocks), none
/// for aliases that multiply each other. A text without aliases has no limit.
struct YAMLExpansionBudget {
    let limit: Int
    private var spent = 0

    /// - Parameter unexpandedSize: the number of nodes with each alias counted once; `nil` without aliases.
    init(unexpandedSize: Int?) { limit = unexpandedSize.map { 2 * $0 + 100_000 } ?? .max }

    /// Counts one value.
    /// - Throws: ``KubeError`` `.malformedYAML` once more than ``limit`` values were counted.
    mutating func spend() throws {
        spent += 1
        guard spent <= limit else {
            throw KubeError(
                code: .malformedYAML,
                message: "invalid YAML: its aliases expand it to more than \(limit) values (excessive aliasing)"
            )
        }
    }
}
