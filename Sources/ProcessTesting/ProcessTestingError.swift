/// A child process that could not be found, started or waited for.
public struct ProcessTestingError: Error, CustomStringConvertible {
    /// What went wrong and, where it helps, how to fix it.
    public var description: String

    /// An error with `description` as its one-line message.
    public init(_ description: String) { self.description = description }
}
