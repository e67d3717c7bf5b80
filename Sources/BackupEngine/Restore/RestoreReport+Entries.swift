extension RestoreReport {
    /// The report's entries, one per object, held compactly: a restore of a million objects keeps one here for
    /// each, so an entry is a fixed row of small numbers (its action, and its group-resource, version, kind and
    /// namespaces as indexes into a table of the distinct strings), its name in one shared byte buffer, and the
    /// rare reason and field changes aside. That is about fifty bytes an entry where the ``Entry`` values took
    /// about two hundred.
    ///
    /// A collection of ``Entry`` values (each made when it is read); equal when their entries are.
    package struct Entries: RandomAccessCollection, Sendable, Hashable, Codable, ExpressibleByArrayLiteral {
        private struct Row: Sendable {
            var action: Action
            /// Interned in `strings`.
            var groupResource: UInt32
            var apiVersion: UInt32
            var kind: UInt32
            var namespace: UInt32
            var targetNamespace: UInt32
            var name: CompactStrings.Span
        }

        private struct Details: Sendable {
            var reason: String?
            var changes: [FieldChange]?
        }

        private var rows: [Row] = []
        private var strings = CompactStrings()
        private var details: [Int: Details] = [:]

        package init() {}

        package init(_ entries: some Sequence<Entry>) {
            for entry in entries { append(entry) }
        }

        package init(arrayLiteral elements: Entry...) { self.init(elements) }

        package var startIndex: Int { 0 }
        package var endIndex: Int { rows.count }

        package subscript(position: Int) -> Entry {
            let row = rows[position]
            let detail = details[position]
            return Entry(
                action: row.action,
                groupResource: strings.interned(row.groupResource) ?? "",
                apiVersion: strings.interned(row.apiVersion),
                kind: strings.interned(row.kind),
                namespace: strings.interned(row.namespace),
                targetNamespace: strings.interned(row.targetNamespace),
                name: strings.string(row.name),
                reason: detail?.reason,
                changes: detail?.changes
            )
        }

        /// The action of entry `position`, without making the entry.
        package func action(at position: Int) -> Action { rows[position].action }

        package mutating func append(_ entry: Entry) {
            rows.append(
                Row(
                    action: entry.action,
                    groupResource: strings.intern(entry.groupResource),
                    apiVersion: strings.intern(entry.apiVersion),
                    kind: strings.intern(entry.kind),
                    namespace: strings.intern(entry.namespace),
                    targetNamespace: strings.intern(entry.targetNamespace),
                    name: strings.append(entry.name)
                )
            )
            if entry.reason != nil || entry.changes != nil {
                details[rows.count - 1] = Details(reason: entry.reason, changes: entry.changes)
            }
        }

        package mutating func append(contentsOf entries: some Sequence<Entry>) {
            for entry in entries { append(entry) }
        }

        package static func += (lhs: inout Entries, rhs: some Sequence<Entry>) { lhs.append(contentsOf: rhs) }

        package static func == (lhs: Entries, rhs: Entries) -> Bool { lhs.elementsEqual(rhs) }

        package func hash(into hasher: inout Hasher) {
            hasher.combine(count)
            for entry in self { hasher.combine(entry) }
        }

        package init(from decoder: any Decoder) throws {
            self.init(try [Entry](from: decoder))
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            for entry in self { try container.encode(entry) }
        }

        /// The number of entries whose action is one of `actions`.
        package func count(of actions: Set<Action>) -> Int {
            rows.reduce(0) { $0 + (actions.contains($1.action) ? 1 : 0) }
        }

        /// Velero's restore resource list file, gzipped: `"<apiVersion>/<Kind>"` → `["ns/name(created)", …]`
        /// (`updated`, `skipped` for unchanged and conflicting objects, `failed`; excluded objects are not listed).
        func resourceListFile() throws -> [UInt8] {
            var groups: [String: [Int32]] = [:]
            for (position, row) in rows.enumerated() where row.action != .excluded {
                let kind = strings.interned(row.kind) ?? strings.interned(row.groupResource) ?? ""
                groups["\(strings.interned(row.apiVersion) ?? "")/\(kind)", default: []].append(
                    Int32(truncatingIfNeeded: position)
                )
            }
            return try ResourceListFile.gzipped(groups, strings: strings) { position in
                let row = rows[Int(position)]
                let result =
                    switch row.action {
                    case .create: "(created)"
                    case .update: "(updated)"
                    case .skip, .conflict: "(skipped)"
                    case .error, .excluded: "(failed)"
                    }
                return ResourceListFile.Line(
                    namespace: row.targetNamespace != 0 ? row.targetNamespace : row.namespace,
                    name: row.name,
                    suffix: result
                )
            }
        }
    }
}
