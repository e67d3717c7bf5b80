/// An RFC 6901 JSON pointer such as `/spec/containers/0/image` (`~1` escapes `/`, `~0` escapes `~`).
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The unescaped reference tokens; empty for the whole document ("").
    public var tokens: [String]

    /// Creates a pointer from unescaped tokens.
    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// Parses a pointer.
    ///
    /// - Throws: ``KubeError`` (`.invalidArgument`) when the text is not empty and does not start with "/",
    ///   or contains a `~` not followed by `0` or `1`.
    public init(parsing text: String) throws {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.first == "/" else {
            throw KubeError(
                code: .invalidArgument,
                message: "JSON pointer \"\(text)\" must be empty or start with \"/\""
            )
        }
        var result: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var iterator = raw.makeIterator()
            while let c = iterator.next() {
                if c == "~" {
                    switch iterator.next() {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default:
                        throw KubeError(
                            code: .invalidArgument,
                            message: "JSON pointer \"\(text)\" has an invalid escape: \"~\" must be followed by 0 or 1"
                        )
                    }
                } else {
                    token.append(c)
                }
            }
            result.append(token)
        }
        tokens = result
    }

    /// The escaped text form.
    public var description: String {
        tokens.map { "/" + $0.replacing("~", with: "~0").replacing("/", with: "~1") }.joined()
    }

    /// The pointer to the parent container (nil for the root).
    public var parent: JSONPointer? {
        tokens.isEmpty ? nil : JSONPointer(tokens: Array(tokens.dropLast()))
    }

    /// Whether `self` is `other` or one of its ancestors.
    public func isPrefix(of other: JSONPointer) -> Bool {
        tokens.count <= other.tokens.count && Array(other.tokens.prefix(tokens.count)) == tokens
    }

    /// The array index a token denotes (RFC 6901: "0" or digits without a leading zero), if any.
    static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if token.count > 1 && token.first == "0" { return nil }
        return Int(token)
    }
}

extension JSONValue {
    /// The value a pointer refers to, or nil when it does not exist.
    public subscript(pointer pointer: JSONPointer) -> JSONValue? {
        var current = self
        for token in pointer.tokens {
            switch current {
            case .object(let o):
                guard let next = o[token] else { return nil }
                current = next
            case .array(let a):
                guard let i = JSONPointer.arrayIndex(token), a.indices.contains(i) else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }
}
