/// One resource the sandbox serves at one group/version, e.g. `apps/v1` `deployments`.
///
/// Built-in types come from ``BuiltinResources``; custom types are derived from stored
/// CustomResourceDefinitions (one per served version, all sharing one ``storageKey``).
struct ResourceType: Sendable, Hashable {
    /// An additionalPrinterColumn of a CRD version.
    struct PrinterColumn: Sendable, Hashable {
        var name: String
        var type: String
        var jsonPath: String
        var priority: Int
    }

    var group: String
    var version: String
    var plural: String
    var singular: String
    var kind: String
    var namespaced: Bool
    var shortNames: [String] = []
    var categories: [String] = []
    var verbs: [String] = ResourceType.standardVerbs
    /// Serves `/status` (and, for built-ins, ignores status changes on the main endpoint).
    var hasStatus: Bool = false
    /// Serves `/scale` in discovery (scale requests themselves are not implemented).
    var hasScale: Bool = false
    /// Served from a CustomResourceDefinition.
    var custom: Bool = false
    /// Main-endpoint writes keep `status` even though a status subresource exists (pre-installed CRDs).
    var mainEndpointWritesStatus: Bool = false
    /// Printer columns for the Table form (CRDs).
    var printerColumns: [PrinterColumn] = []

    static let standardVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// `group/version`, or `version` for the core group.
    var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// The `apiVersion` value of objects of this type.
    var apiVersion: String { groupVersion }
    /// Version-independent key of the stored collection (`configmaps`, `deployments.apps`).
    var storageKey: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// `configmaps` or `deployments.apps`, as used in messages.
    var qualifiedName: String { storageKey }
    /// `ConfigMapList`.
    var listKind: String { kind + "List" }
    /// URL prefix of the group version (`/api/v1`, `/apis/apps/v1`).
    var pathPrefix: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The JSON text `{"kind":"K","apiVersion":"V",` that starts every full object of this type.
    var objectPrefix: [UInt8] {
        Array("{\"kind\":\"\(kind)\",\"apiVersion\":\"\(apiVersion)\",".utf8)
    }

    /// Whether a delete of this type is answered with the object instead of a Status.
    var deleteReturnsObject: Bool { group.isEmpty && (plural == "namespaces" || plural == "pods") }
}

extension ResourceType {
    /// Convenience initializer for the built-in table.
    static func builtin(
        _ group: String,
        _ version: String,
        _ plural: String,
        _ kind: String,
        namespaced: Bool = true,
        short: [String] = [],
        categories: [String] = [],
        status: Bool = false,
        scale: Bool = false,
        verbs: [String] = ResourceType.standardVerbs
    ) -> ResourceType {
        ResourceType(
            group: group,
            version: version,
            plural: plural,
            singular: kind.lowercased(),
            kind: kind,
            namespaced: namespaced,
            shortNames: short,
            categories: categories,
            verbs: verbs,
            hasStatus: status,
            hasScale: scale
        )
    }
}
