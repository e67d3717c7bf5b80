public import LifeboatErrors

/// The one error type of the `KubeSandbox` module (start-up, certificates, persistence, configuration).
///
/// API failures that a client sees are not thrown as `SandboxError`: they are answered as
/// Kubernetes `Status` bodies (see ``APIStatus``).
public struct SandboxError: LifeboatError {
    /// What went wrong, as a small extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidConfiguration, certificate, persistence, startup, seed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A configuration value is out of range or inconsistent.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The CA or server certificate could not be generated or loaded.
        public static let certificate = Code(.certificate)
        /// The data directory or its log could not be read or written.
        public static let persistence = Code(.persistence)
        /// The HTTPS server did not start.
        public static let startup = Code(.startup)
        /// The demo seed could not be created.
        public static let seed = Code(.seed)

        public var description: String { "\(base)" }
    }

    /// The kind of failure.
    public var code: Code
    /// A message naming the file, field or value concerned.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?
    /// Where the error was created.
    public var location: ErrorLocation

    /// The message followed by the chain of causes (``descriptionWithCauses``).
    public var description: String { descriptionWithCauses }

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
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
