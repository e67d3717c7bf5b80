public import LifeboatErrors

/// The one error type of the VolumeRepository module.
///
/// Match on `code`: `catch let e as RepositoryError where e.code == .wrongPassword`.
public struct RepositoryError: LifeboatError {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case wrongPassword, notARepository, alreadyExists, corrupt, unsupported, invalidArgument
            case locked, notFound, io, incomplete
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// No key file could be opened with the given password.
        public static let wrongPassword = Code(.wrongPassword)
        /// The location holds no repository (no `config`).
        public static let notARepository = Code(.notARepository)
        /// `init` found an existing repository.
        public static let alreadyExists = Code(.alreadyExists)
        /// Stored data failed a MAC, hash, length or format check.
        public static let corrupt = Code(.corrupt)
        /// The repository uses a feature or version this code does not support.
        public static let unsupported = Code(.unsupported)
        /// An argument (path, ID, option) is invalid.
        public static let invalidArgument = Code(.invalidArgument)
        /// Another process holds a conflicting lock.
        public static let locked = Code(.locked)
        /// A snapshot, blob or file was not found.
        public static let notFound = Code(.notFound)
        /// A local file-system error.
        public static let io = Code(.io)
        /// The operation finished but skipped some items (exit code 3 in the CLI).
        public static let incomplete = Code(.incomplete)

        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?
    public var location: ErrorLocation

    /// The message followed by the chain of causes (``descriptionWithCauses``).
    public var description: String { descriptionWithCauses }

    public init(
        code: Code, message: String, cause: (any Error)? = nil,
        function: String = #function, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.location = ErrorLocation(function: function, file: file, line: line)
    }
}
