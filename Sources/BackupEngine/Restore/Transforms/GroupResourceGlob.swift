/// A glob over group-resource strings as Velero compiles the resource-modifier `groupResource`
/// condition (`gobwas/glob` with `.` as the separator): `*` matches any run of characters except `.`,
/// `**` any run including `.`, `?` one character except `.`, `[abc]` / `[a-z]` / `[!abc]` one character
/// of (or not of) a class, `{a,b}` one of the alternatives, and `\` escapes the next character.
///
/// ```swift
/// let glob = try GroupResourceGlob("*.apps")
/// glob.matches("deployments.apps")   // true
/// glob.matches("deployments")        // false
/// ```
package struct GroupResourceGlob: Sendable, Hashable {
    indirect enum Token: Sendable, Hashable {
        case literal(Character)
        case anyRun(crossesSeparator: Bool)
        case anyOne
        case characterClass(negated: Bool, items: [ClassItem])
        case alternatives([[Token]])
    }

    enum ClassItem: Sendable, Hashable {
        case single(Character)
        case range(Character, Character)
    }

    /// The pattern text.
    package let pattern: String
    let tokens: [Token]
    static let separator: Character = "."

    /// Compiles a pattern.
    /// - Throws: ``BackupEngineError`` `.invalidModifiers` for an unterminated `[` or `{`, or a trailing `\`.
    package init(_ pattern: String) throws {
        self.pattern = pattern
        var index = pattern.startIndex
        tokens = try Self.parse(pattern, &index, depth: 0)
        guard index == pattern.endIndex else {
            throw Self.error(pattern, "unexpected \"\(pattern[index])\"")
        }
    }

    /// Whether `text` matches the whole pattern.
    package func matches(_ text: String) -> Bool {
        Self.match(tokens[...], Array(text)[...])
    }

    // MARK: - Parsing

    private static func error(_ pattern: String, _ problem: String) -> BackupEngineError {
        BackupEngineError(code: .invalidModifiers, message: "bad glob pattern \"\(pattern)\": \(problem)")
    }

    /// The deepest nesting of `{…}` alternatives accepted.
    static let maximumNesting = 64

    /// Parses tokens up to the end, or, inside `depth` levels of `{`, up to the next `,` or `}`.
    private static func parse(_ p: String, _ i: inout String.Index, depth: Int) throws -> [Token] {
        let inAlternative = depth > 0
        var tokens: [Token] = []
        while i < p.endIndex {
            let c = p[i]
            if inAlternative && (c == "," || c == "}") { return tokens }
            p.formIndex(after: &i)
            switch c {
            case "*":
                if i < p.endIndex, p[i] == "*" {
                    p.formIndex(after: &i)
                    tokens.append(.anyRun(crossesSeparator: true))
                } else {
                    tokens.append(.anyRun(crossesSeparator: false))
                }
            case "?":
                tokens.append(.anyOne)
            case "\\":
                guard i < p.endIndex else { throw error(p, "trailing \\") }
                tokens.append(.literal(p[i]))
                p.formIndex(after: &i)
            case "[":
                tokens.append(try parseClass(p, &i))
            case "{":
                guard depth < maximumNesting else { throw error(p, "{ nested deeper than \(maximumNesting) levels") }
                var options: [[Token]] = []
                while true {
                    options.append(try parse(p, &i, depth: depth + 1))
                    guard i < p.endIndex else { throw error(p, "unterminated {") }
                    let delimiter = p[i]
                    p.formIndex(after: &i)
                    if delimiter == "}" { break }
                }
                tokens.append(.alternatives(options))
            default:
                tokens.append(.literal(c))
            }
        }
        return tokens
    }

    private static func parseClass(_ p: String, _ i: inout String.Index) throws -> Token {
        var negated = false
        if i < p.endIndex, p[i] == "!" {
            negated = true
            p.formIndex(after: &i)
        }
        var items: [ClassItem] = []
        while i < p.endIndex, p[i] != "]" {
            let low = p[i]
            p.formIndex(after: &i)
            if i < p.endIndex, p[i] == "-" {
                let afterDash = p.index(after: i)
                if afterDash < p.endIndex, p[afterDash] != "]" {
                    items.append(.range(low, p[afterDash]))
                    i = p.index(after: afterDash)
                    continue
                }
            }
            items.append(.single(low))
        }
        guard i < p.endIndex else { throw error(p, "unterminated [") }
        p.formIndex(after: &i)
        return .characterClass(negated: negated, items: items)
    }

    // MARK: - Matching

    private static func match(_ tokens: ArraySlice<Token>, _ text: ArraySlice<Character>) -> Bool {
        guard let first = tokens.first else { return text.isEmpty }
        let rest = tokens.dropFirst()
        switch first {
        case .literal(let c):
            guard text.first == c else { return false }
            return match(rest, text.dropFirst())
        case .anyOne:
            guard let c = text.first, c != separator else { return false }
            return match(rest, text.dropFirst())
        case .characterClass(let negated, let items):
            guard let c = text.first, c != separator else { return false }
            let inClass = items.contains { item in
                switch item {
                case .single(let s): return s == c
                case .range(let low, let high): return low <= c && c <= high
                }
            }
            guard inClass != negated else { return false }
            return match(rest, text.dropFirst())
        case .anyRun(let crossesSeparator):
            var remaining = text
            while true {
                if match(rest, remaining) { return true }
                guard let c = remaining.first, crossesSeparator || c != separator else { return false }
                remaining = remaining.dropFirst()
            }
        case .alternatives(let options):
            return options.contains { option in match(ArraySlice(option) + rest, text) }
        }
    }
}
