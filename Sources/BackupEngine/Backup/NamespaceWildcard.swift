/// Expands namespace glob patterns against the cluster's active namespaces (Velero v1.18,
/// `pkg/util/wildcard/expand.go`): `*`, `?` and `[…]` are expanded; a lone `*` is kept as is;
/// `|`, `(`, `)`, `!`, `{`, `}`, `,` and `**` are rejected.
package enum NamespaceWildcard {
    /// Characters Velero refuses in namespace patterns.
    static let forbidden: Set<Character> = ["|", "(", ")", "!", "{", "}", ","]

    /// Checks one pattern.
    /// - Returns: a message naming the pattern and the problem, or `nil` when it is acceptable.
    package static func validate(_ pattern: String) -> String? {
        if pattern.contains("**") {
            return "invalid namespace pattern \(pattern.debugDescription): '**' is not supported"
        }
        if let bad = pattern.first(where: { forbidden.contains($0) }) {
            return "invalid namespace pattern \(pattern.debugDescription): character '\(bad)' is not supported"
        }
        // Velero's validateNamespaceName: with the glob characters stood in for, a namespace name (an RFC 1123
        // label); the empty string means "no namespace" and is allowed.
        let standIn = String(pattern.map { "*?[]".contains($0) ? "x" : $0 })
        if !pattern.isEmpty, !KubeNames.isDNSLabel(standIn) {
            return "invalid namespace \(pattern.debugDescription): "
                + (standIn.utf8.count > 63
                    ? "must be no more than 63 characters"
                    : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                        + "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                        + "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
        }
        return nil
    }

    /// Whether a pattern needs expansion (it has wildcard characters and is not the lone `*`).
    package static func isWildcard(_ pattern: String) -> Bool {
        pattern != "*" && pattern.contains(where: { "*?[".contains($0) })
    }

    /// Expands the wildcard patterns of `patterns` to the matching names of `namespaces`,
    /// keeping literal names and a lone `*` unchanged; the result has no duplicates and keeps order.
    package static func expand(_ patterns: [String], against namespaces: [String]) -> [String] {
        var result: [String] = []
        var seen: Set<String> = []
        for pattern in patterns {
            if isWildcard(pattern) {
                for name in namespaces where Glob.matches(pattern: pattern, name) && seen.insert(name).inserted {
                    result.append(name)
                }
            } else if seen.insert(pattern).inserted {
                result.append(pattern)
            }
        }
        return result
    }
}
