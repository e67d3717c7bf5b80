package import Kubernetes

/// The JSON an object was decoded from, kept so that encoding writes back the fields this version does not know.
///
/// Equality and hashing ignore it: two objects are equal when everything this version knows about them is equal.
/// Objects built in code carry none (`value == nil`) and encode exactly their typed fields.
package struct PreservedJSON: Sendable, Hashable {
    /// The decoded object, or `nil` for values built in code.
    package var value: JSONValue?

    /// Keeps `value`.
    package init(_ value: JSONValue? = nil) { self.value = value }

    /// Always `true`: preserved JSON never makes two objects different.
    package static func == (lhs: PreservedJSON, rhs: PreservedJSON) -> Bool { true }

    /// Adds nothing.
    package func hash(into hasher: inout Hasher) {}
}
