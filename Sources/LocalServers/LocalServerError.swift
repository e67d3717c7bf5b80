/// A local server that could not be started or reached (missing binary, no port, not listening in time).
public struct LocalServerError: Error, CustomStringConvertible {
    /// What went wrong and, where it helps, how to fix it.
    public var description: String

    /// An error with `description` as its one-line message.
    public init(_ description: String) { self.description = description }
}
