public import LifeboatErrors

/// The one error type of the ObjectStorage module.
///
/// Match on `code`: `catch let e as ObjectStoreError where e.code == .notFound`.
public struct ObjectStoreError: LifeboatError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case notFound, invalidKey, accessDenied, unavailable, unreachable, invalidConfiguration, corrupt, io, http,
                alreadyExists
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The object does not exist.
        public static let notFound = Code(.notFound)
        /// The key cannot be stored (empty, `..`, absolute, NUL).
        public static let invalidKey = Code(.invalidKey)
        /// The credentials were refused.
        public static let accessDenied = Code(.accessDenied)
        /// The store could not be reached or answered with a server error.
        public static let unavailable = Code(.unavailable)
        /// The endpoint refused the connection or its host name does not resolve: retrying would not help
        /// within the run, so it is not retried.
        public static let unreachable = Code(.unreachable)
        /// The store's configuration is wrong (bucket, region, URL, credentials file).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// Data read back does not match what was expected (length, checksum).
        public static let corrupt = Code(.corrupt)
        /// A local I/O error.
        public static let io = Code(.io)
        /// An unexpected HTTP answer.
        public static let http = Code(.http)
        /// A conditional write found an existing object (HTTP 412 to `If-None-Match: *`).
        public static let alreadyExists = Code(.alreadyExists)

        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?
    public var location: ErrorLocation

    /// The message followed by the chain of causes (``descriptionWithCauses``).
    public var description: String { descriptionWithCauses }

    public init(
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
