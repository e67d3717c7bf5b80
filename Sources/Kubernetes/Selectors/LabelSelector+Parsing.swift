extension LabelSelector {
    /// Parses the string syntax of a label selector.
    ///
    /// Grammar (apimachinery's): requirements separated by `,`; each is `key`, `!key`, `key=value`,
    /// `key==value`, `key!=value`, `key in (v1,v2)` or `key notin (v1,v2)`. Whitespace between tokens is
    /// ignored. An empty string is the selector that matches everything.
    ///
    /// - Throws: ``KubeError`` `.invalidSelector`; the message names the selector, the offending token,
    ///   what was expected and the 0-based byte position, e.g.
    ///   `invalid label selector "app in web": found 'web', expected: '(' (at position 7)`.
    public init(parsing text: String) throws {
        var parser = LabelSelectorParser(text: text)
        self.init(try parser.parse())
    }
}

/// A token of the label selector syntax.
private enum LabelToken: Equatable {
    case identifier(String)
    case not  // !
    case notEquals  // !=
    case equals  // =
    case doubleEquals  // ==
    case open  // (
    case close  // )
    case comma
    case end

    var literal: String {
        switch self {
        case .identifier(let s): s
        case .not: "!"
        case .notEquals: "!="
        case .equals: "="
        case .doubleEquals: "=="
        case .open: "("
        case .close: ")"
        case .comma: ","
        case .end: ""
        }
    }
}

/// A hand-written lexer + recursive-descent parser for label selectors.
private struct LabelSelectorParser {
    let text: String
    let bytes: [UInt8]
    var index = 0
    var tokenStart = 0

    init(text: String) {
        self.text = text
        bytes = Array(text.utf8)
    }

    private static func isSpecial(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "!") || b == UInt8(ascii: "=") || b == UInt8(ascii: "(") || b == UInt8(ascii: ")")
            || b == UInt8(ascii: ",") || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
    }

    mutating func next() -> LabelToken {
        while index < bytes.count,
            bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D
        {
            index += 1
        }
        tokenStart = index
        guard index < bytes.count else { return .end }
        let b = bytes[index]
        switch b {
        case UInt8(ascii: "("):
            index += 1
            return .open
        case UInt8(ascii: ")"):
            index += 1
            return .close
        case UInt8(ascii: ","):
            index += 1
            return .comma
        case UInt8(ascii: "!"):
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
                index += 1
                return .notEquals
            }
            return .not
        case UInt8(ascii: "="):
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
                index += 1
                return .doubleEquals
            }
            return .equals
        default:
            while index < bytes.count, !LabelSelectorParser.isSpecial(bytes[index]) { index += 1 }
            return .identifier(String(decoding: bytes[tokenStart..<index], as: UTF8.self))
        }
    }

    mutating func peek() -> LabelToken {
        let (i, s) = (index, tokenStart)
        let t = next()
        (index, tokenStart) = (i, s)
        return t
    }

    func error(_ found: LabelToken, expected: String) -> KubeError {
        KubeError(
            code: .invalidSelector,
            message:
                "invalid label selector \"\(text)\": found '\(found.literal)', expected: \(expected) (at position \(tokenStart))"
        )
    }

    func wrap(_ e: KubeError) -> KubeError {
        KubeError(code: .invalidSelector, message: "invalid label selector \"\(text)\": \(e.message)")
    }

    mutating func parse() throws -> [LabelSelector.Requirement] {
        var result: [LabelSelector.Requirement] = []
        while true {
            switch peek() {
            case .end where result.isEmpty:
                return result
            case .identifier, .not:
                result.append(try parseRequirement())
                let t = next()
                switch t {
                case .end: return result
                case .comma:
                    if case .end = peek() {
                        _ = next()
                        throw error(.end, expected: "identifier after ','")
                    }
                default: throw error(t, expected: "',' or 'end of string'")
                }
            default:
                let t = next()
                throw error(t, expected: "!, identifier, or 'end of string'")
            }
        }
    }

    mutating func parseRequirement() throws -> LabelSelector.Requirement {
        var t = next()
        var negated = false
        if t == .not {
            negated = true
            t = next()
        }
        guard case .identifier(let key) = t else { throw error(t, expected: "identifier") }
        if negated || peek() == .end || peek() == .comma {
            do {
                return try LabelSelector.Requirement(key: key, operator: negated ? .doesNotExist : .exists)
            } catch let e as KubeError { throw wrap(e) }
        }
        let opToken = next()
        let op: LabelSelector.Requirement.Operator
        switch opToken {
        case .identifier("in"): op = .in
        case .identifier("notin"): op = .notIn
        case .equals: op = .equals
        case .doubleEquals: op = .doubleEquals
        case .notEquals: op = .notEquals
        default: throw error(opToken, expected: "in, notin, =, ==, !=")
        }
        var values: [String] = []
        switch op {
        case .in, .notIn:
            let open = next()
            guard open == .open else { throw error(open, expected: "'('") }
            var expectValue = true
            loop: while true {
                let v = next()
                switch v {
                case .identifier(let s) where expectValue:
                    values.append(s)
                    expectValue = false
                case .comma:
                    if expectValue { values.append("") }
                    expectValue = true
                case .close:
                    if expectValue && !values.isEmpty { values.append("") }
                    break loop
                default:
                    throw error(v, expected: expectValue ? "',', ')' or identifier" : "',' or ')'")
                }
            }
        default:
            switch peek() {
            case .end, .comma: values = [""]
            case .identifier(let s):
                _ = next()
                values = [s]
            default:
                let v = next()
                throw error(v, expected: "identifier")
            }
        }
        do {
            return try LabelSelector.Requirement(key: key, operator: op, values: values)
        } catch let e as KubeError { throw wrap(e) }
    }
}
