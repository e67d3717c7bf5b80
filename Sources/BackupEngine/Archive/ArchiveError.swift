package import LifeboatErrors

/// Errors reading or writing gzip and tar data.
package struct ArchiveError: LifeboatError {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case gzip, truncated, tar, path }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// The gzip stream is corrupt.
        package static let gzip = Code(.gzip)
        /// The data ends before the archive does.
        package static let truncated = Code(.truncated)
        /// A tar header is malformed.
        package static let tar = Code(.tar)
        /// An entry name cannot be stored or is unsafe to extract.
        package static let path = Code(.path)

        package var description: String { "\(value)" }
    }

    package var code: Code
    package var message: String
    package var cause: (any Error)?
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
