package import Kubernetes

/// The set of items already in a backup (Velero's backed-up-items map): it skips duplicates and
/// produces `<name>-resource-list.json.gz` (`"<apiVersion>/<Kind>"` → sorted `"ns/name"` or `"name"`).
package struct BackedUpItems: Sendable {
    private var keys: Set<ItemReference> = []
    private var byKind: [String: [String]] = [:]

    package init() {}

    /// Number of items recorded.
    package var count: Int { keys.count }

    /// Number of items of one group-resource.
    package func count(ofGroupResource groupResource: String) -> Int {
        keys.reduce(0) { $0 + ($1.groupResource == groupResource ? 1 : 0) }
    }

    /// Whether the item is already backed up.
    package func contains(_ reference: ItemReference) -> Bool { keys.contains(reference) }

    /// Records an item; returns false when it was already there.
    @discardableResult
    package mutating func insert(_ reference: ItemReference, apiVersion: String, kind: String) -> Bool {
        guard keys.insert(reference).inserted else { return false }
        let entry = reference.namespace.map { "\($0)/\(reference.name)" } ?? reference.name
        byKind["\(apiVersion)/\(kind)", default: []].append(entry)
        return true
    }

    /// The resource list document.
    package var resourceList: JSONValue {
        var object = JSONObject()
        for key in byKind.keys.sorted() {
            object[key] = .array((byKind[key] ?? []).sorted().map(JSONValue.string))
        }
        return .object(object)
    }
}
