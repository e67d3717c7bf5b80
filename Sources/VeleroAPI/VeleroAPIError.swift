package import LifeboatErrors

/// The one error type of the `VeleroAPI` module.
///
/// ```swift
/// catch let e as VeleroAPIError where e.code == .notFound { ... }
/// ```
package struct VeleroAPIError: LifeboatError {
    /// What went wrong, as a small extensible set of codes.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case notFound, invalidLocation, invalidObject
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A storage location, its credential Secret or a key of it does not exist, or the CRDs are not installed.
        package static let notFound = Code(.notFound)
        /// A storage location's configuration cannot make a store (provider, bucket, config keys, credentials).
        package static let invalidLocation = Code(.invalidLocation)
        /// An object is not a valid velero.io object.
        package static let invalidObject = Code(.invalidObject)

        package var description: String { "\(value)" }
    }

    package var code: Code
    package var message: String
    package var cause: (any Error)?
    /// Where the error was raised.
    package var location: ErrorLocation

    /// The message followed by the chain of causes (``descriptionWithCauses``).
    package var description: String { descriptionWithCauses }

    package init(
        code: Code,
        message: String,
        cause: (any Error)? = nil,
        function: String = #function,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.location = ErrorLocation(function: function, file: file, line: line)
    }
}
