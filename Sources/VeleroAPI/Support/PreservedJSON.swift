public import Kubernetes

/// The JSON an object was decoded from, kept so that encoding writes back the fields this version does not know.
///
/// Equality and hashing ignore it: two objects are equal when everything this version knows about them is equal.
/// Objects built in code carry none (`value == nil`) and encode exactly their typed fields.
public struct PreservedJSON: Sendable, Hashable {
    /// The decoded object, or `nil` for values built in code.
    public var value: JSONValue?

    /// Keeps `value`.
    public init(_ value: JSONValue? = nil) { self.value = value }

    /// Always `true`: preserved JSON never makes two objects different.
    public static func == (lhs: PreservedJSON, rhs: PreservedJSON) -> Bool { true }

    /// Adds nothing.
    public func hash(into hasher: inout Hasher) {}
}
