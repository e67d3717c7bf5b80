/// A load's identity in a node agent's work queue: its kind and name (the namespace is the install namespace).
package struct LoadKey: Sendable, Hashable, CustomStringConvertible {
    package var kind: LoadKind
    package var name: String

    package init(kind: LoadKind, name: String) {
        self.kind = kind
        self.name = name
    }

    package var description: String { "\(kind.rawValue)/\(name)" }
}
