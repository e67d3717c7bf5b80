/// Warnings or errors grouped the way Velero groups them (`pkg/util/results`):
/// `{"velero": [...], "cluster": [...], "namespaces": {"ns": [...]}}`.
package struct Result: Codable, Sendable, Hashable {
    package var velero: [String]?
    package var cluster: [String]?
    package var namespaces: [String: [String]]?

    package init() {}

    /// Adds a message about `namespace` (cluster-scoped when `nil` or empty).
    package mutating func add(namespace: String?, _ message: String) {
        if let namespace, !namespace.isEmpty {
            namespaces = namespaces ?? [:]
            namespaces?[namespace, default: []].append(message)
        } else {
            cluster = (cluster ?? []) + [message]
        }
    }

    /// Adds a message that concerns the run as a whole.
    package mutating func addVelero(_ message: String) {
        velero = (velero ?? []) + [message]
    }

    /// Appends everything in `other`.
    package mutating func merge(_ other: Result) {
        if let v = other.velero { velero = (velero ?? []) + v }
        if let c = other.cluster { cluster = (cluster ?? []) + c }
        for (ns, messages) in other.namespaces ?? [:] {
            namespaces = namespaces ?? [:]
            namespaces?[ns, default: []].append(contentsOf: messages)
        }
    }

    /// The number of messages.
    package var count: Int {
        (velero?.count ?? 0) + (cluster?.count ?? 0) + (namespaces?.values.reduce(0) { $0 + $1.count } ?? 0)
    }

    package var isEmpty: Bool { count == 0 }

    /// Every message with where it belongs, for printing.
    package var lines: [String] {
        var out: [String] = []
        for m in velero ?? [] { out.append("Velero:     \(m)") }
        for m in cluster ?? [] { out.append("Cluster:    \(m)") }
        for ns in (namespaces ?? [:]).keys.sorted() {
            for m in namespaces?[ns] ?? [] { out.append("Namespaces: \(ns): \(m)") }
        }
        return out
    }
}

/// The `<name>-results.gz` document: `{"errors": Result, "warnings": Result}`.
package struct Results: Codable, Sendable, Hashable {
    package var errors: Result
    package var warnings: Result

    package init(errors: Result = Result(), warnings: Result = Result()) {
        self.errors = errors
        self.warnings = warnings
    }
}
