/// Velero's include/exclude lists (`pkg/util/collections/includes_excludes.go`):
/// excludes are checked first (glob match); an item is included when the includes are empty,
/// contain `*`, or glob-match it.
package struct IncludesExcludes: Sendable, Hashable {
    package var includes: [String]
    package var excludes: [String]
    /// Set when wildcard patterns in the includes matched nothing: then nothing is included (Velero's
    /// `NamespaceIncludesExcludes.ShouldInclude`), where empty includes otherwise mean "everything" — a typo'd
    /// glob never widens a backup to the whole cluster.
    package var includesNothing: Bool

    package init(includes: [String] = [], excludes: [String] = [], includesNothing: Bool = false) {
        self.includes = includes
        self.excludes = excludes
        self.includesNothing = includesNothing
    }

    /// Whether `item` passes the filter.
    package func shouldInclude(_ item: String) -> Bool {
        if includesNothing { return false }
        if excludes.contains(where: { Glob.matches(pattern: $0, item) }) { return false }
        if includes.isEmpty || includes.contains("*") { return true }
        return includes.contains { Glob.matches(pattern: $0, item) }
    }

    /// True when the filter lets everything through (includes empty or `*`, no excludes).
    package var includesEverything: Bool {
        !includesNothing && (includes.isEmpty || includes == ["*"]) && excludes.isEmpty
    }

    /// True when `*` is excluded.
    package var excludesEverything: Bool { excludes.contains("*") }

    /// Velero's validation of a plain (old-style) include/exclude pair.
    /// - Returns: the validation messages, empty when valid.
    package func validationErrors() -> [String] {
        var errors: [String] = []
        if includes.count > 1 && includes.contains("*") {
            errors.append("includes list must either contain '*' only, or a non-empty list of items")
        }
        if excludes.contains("*") {
            errors.append("excludes list cannot contain '*'")
        }
        for item in excludes where includes.contains(item) {
            errors.append("excludes list cannot contain an item in the includes list: \(item)")
        }
        return errors
    }

    /// Velero's validation of a scoped include/exclude pair (`*` may be excluded on its own).
    package func scopedValidationErrors() -> [String] {
        var errors: [String] = []
        if includes.count > 1 && includes.contains("*") {
            errors.append("includes list must either contain '*' only, or a non-empty list of items")
        }
        if excludes.count > 1 && excludes.contains("*") {
            errors.append("excludes list must either contain '*' only, or a non-empty list of items")
        }
        if excludes.contains("*") && !includes.isEmpty {
            errors.append("when exclude is '*', include cannot have value")
        }
        for item in excludes where item != "*" && includes.contains(item) {
            errors.append("excludes list cannot contain an item in the includes list: \(item)")
        }
        return errors
    }
}

/// Shell-style globs as Go's `github.com/gobwas/glob` compiles Velero's patterns:
/// `*` (any run), `?` (one character), `[abc]`, `[a-z]`, `[!a]`.
package enum Glob {
    /// Whether `text` matches `pattern`.
    package static func matches(pattern: String, _ text: String) -> Bool {
        if pattern == "*" { return true }
        if !pattern.contains(where: { "*?[".contains($0) }) { return pattern == text }
        return match(Array(pattern.unicodeScalars), 0, Array(text.unicodeScalars), 0)
    }

    private static func match(_ p: [Unicode.Scalar], _ pi: Int, _ t: [Unicode.Scalar], _ ti: Int) -> Bool {
        var pi = pi
        var ti = ti
        var starP = -1
        var starT = -1
        while ti < t.count {
            if pi < p.count, p[pi] == "*" {
                starP = pi
                starT = ti
                pi += 1
                continue
            }
            if pi < p.count, let (ok, next) = single(p, pi, t[ti]), ok {
                pi = next
                ti += 1
                continue
            }
            if starP >= 0 {
                pi = starP + 1
                starT += 1
                ti = starT
                continue
            }
            return false
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Matches one pattern element at `pi` against `c`; returns whether it matched and the next index.
    private static func single(_ p: [Unicode.Scalar], _ pi: Int, _ c: Unicode.Scalar) -> (Bool, Int)? {
        switch p[pi] {
        case "?": return (true, pi + 1)
        case "[":
            var i = pi + 1
            var negate = false
            if i < p.count, p[i] == "!" || p[i] == "^" {
                negate = true
                i += 1
            }
            var matched = false
            var first = true
            while i < p.count, p[i] != "]" || first {
                first = false
                if i + 2 < p.count, p[i + 1] == "-", p[i + 2] != "]" {
                    if p[i].value <= c.value && c.value <= p[i + 2].value { matched = true }
                    i += 3
                } else {
                    if p[i] == c { matched = true }
                    i += 1
                }
            }
            guard i < p.count else { return (p[pi] == c, pi + 1) }  // unterminated: literal '['
            return (matched != negate, i + 1)
        default:
            return (p[pi] == c, pi + 1)
        }
    }
}
