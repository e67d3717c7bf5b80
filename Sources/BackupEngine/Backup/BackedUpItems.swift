/// The set of items already in a backup (Velero's backed-up-items map): it skips duplicates and
/// produces `<name>-resource-list.json.gz` (`"<apiVersion>/<Kind>"` → sorted `"ns/name"` or `"name"`).
///
/// A backup of a million objects records each here, so an item is a row of small numbers (its group-resource,
/// namespace and `apiVersion/Kind` interned, its name in a shared byte buffer) found through a table of hashes:
/// about sixty bytes an item, where a set of ``ItemReference`` values and a list of strings took about two hundred.
package struct BackedUpItems: Sendable {
    private struct Row: Sendable {
        var groupResource: UInt32
        var namespace: UInt32
        var kind: UInt32
        var name: CompactStrings.Span
    }

    private var strings = CompactStrings()
    private var rows: [Row] = []
    /// The rows by a hash of their item.
    private var positions = HashPositions()

    package init() {}

    /// Number of items recorded.
    package var count: Int { rows.count }

    /// Number of items of one group-resource.
    package func count(ofGroupResource groupResource: String) -> Int {
        guard let index = strings.index(of: groupResource) else { return 0 }
        return rows.reduce(0) { $0 + ($1.groupResource == index ? 1 : 0) }
    }

    /// Whether the item is already backed up.
    package func contains(_ reference: ItemReference) -> Bool { position(of: reference, hash: hash(reference)) != nil }

    /// Records an item; returns false when it was already there.
    @discardableResult
    package mutating func insert(_ reference: ItemReference, apiVersion: String, kind: String) -> Bool {
        let hash = hash(reference)
        guard position(of: reference, hash: hash) == nil else { return false }
        positions.insert(rows.count, hash: hash)
        rows.append(
            Row(
                groupResource: strings.intern(reference.groupResource),
                namespace: strings.intern(reference.namespace),
                kind: strings.intern("\(apiVersion)/\(kind)"),
                name: strings.append(reference.name)
            )
        )
        return true
    }

    /// The resource list file, gzipped.
    package func resourceListFile() throws -> [UInt8] {
        var groups: [String: [Int32]] = [:]
        for (position, row) in rows.enumerated() {
            groups[strings.interned(row.kind) ?? "", default: []].append(Int32(truncatingIfNeeded: position))
        }
        return try ResourceListFile.gzipped(groups, strings: strings) { position in
            let row = rows[Int(position)]
            return ResourceListFile.Line(namespace: row.namespace, name: row.name)
        }
    }

    private func hash(_ reference: ItemReference) -> Int { HashPositions.hash(reference) }

    private func position(of reference: ItemReference, hash: Int) -> Int? {
        positions.first(hash: hash) { matches(rows[$0], reference) }
    }

    private func matches(_ row: Row, _ reference: ItemReference) -> Bool {
        strings.interned(row.groupResource) == reference.groupResource
            && strings.interned(row.namespace) == reference.namespace && strings.equals(row.name, reference.name)
    }
}
