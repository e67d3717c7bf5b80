/// A load's identity in a node agent's work queue: its kind and name (the namespace is the install namespace).
public struct LoadKey: Sendable, Hashable, CustomStringConvertible {
    public var kind: LoadKind
    public var name: String

    public init(kind: LoadKind, name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String { "\(kind.rawValue)/\(name)" }
}
