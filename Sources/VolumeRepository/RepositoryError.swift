package import LifeboatErrors

/// The one error type of the VolumeRepository module.
///
/// Match on `code`: `catch let e as RepositoryError where e.code == .wrongPassword`.
package struct RepositoryError: LifeboatError {
    /// What went wrong, as a stable code.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case wrongPassword, notARepository, alreadyExists, corrupt, unsupported, invalidArgument
            case locked, notFound, io, incomplete
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// No key file could be opened with the given password.
        package static let wrongPassword = Code(.wrongPassword)
        /// The location holds no repository (no `config`).
        package static let notARepository = Code(.notARepository)
        /// `init` found an existing repository.
        package static let alreadyExists = Code(.alreadyExists)
        /// Stored data failed a MAC, hash, length or format check.
        package static let corrupt = Code(.corrupt)
        /// The repository uses a feature or version this code does not support.
        package static let unsupported = Code(.unsupported)
        /// An argument (path, ID, option) is invalid.
        package static let invalidArgument = Code(.invalidArgument)
        /// Another process holds a conflicting lock.
        package static let locked = Code(.locked)
        /// A snapshot, blob or file was not found.
        package static let notFound = Code(.notFound)
        /// A local file-system error.
        package static let io = Code(.io)
        /// The operation finished but skipped some items (exit code 3 in the CLI).
        package static let incomplete = Code(.incomplete)

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
