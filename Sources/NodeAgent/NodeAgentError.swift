package import LifeboatErrors

/// The one error type of the `NodeAgent` module.
///
/// ```swift
/// catch let e as NodeAgentError where e.code == .invalidConfig { ... }
/// ```
package struct NodeAgentError: LifeboatError {
    /// What went wrong, as a small extensible set of codes.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case configNotFound, invalidConfig, invalidArgument, concurrencyLimit, invalidTransition, dataPathFailed,
                exposeFailed, dataPathCanceled
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The node-agent ConfigMap does not exist or cannot be read.
        package static let configNotFound = Code(.configNotFound)
        /// The node-agent ConfigMap is malformed (no data, several keys, not JSON, wrong types).
        package static let invalidConfig = Code(.invalidConfig)
        /// An argument (a file, a node list) is malformed.
        package static let invalidArgument = Code(.invalidArgument)
        /// The node is running as many loads as its concurrency allows.
        package static let concurrencyLimit = Code(.concurrencyLimit)
        /// A load cannot move from its phase to the requested one.
        package static let invalidTransition = Code(.invalidTransition)
        /// The data path of a load failed.
        package static let dataPathFailed = Code(.dataPathFailed)
        /// A load's data-mover pod or PVC could not be created.
        package static let exposeFailed = Code(.exposeFailed)
        /// The data path of a load stopped because the load was canceled (the micro-service ended with Velero's
        /// `data path is canceled`): the load ends Canceled, not Failed.
        package static let dataPathCanceled = Code(.dataPathCanceled)

        package var description: String {
            switch base {
            case .configNotFound: "ConfigNotFound"
            case .invalidConfig: "InvalidConfig"
            case .invalidArgument: "InvalidArgument"
            case .concurrencyLimit: "ConcurrencyLimit"
            case .invalidTransition: "InvalidTransition"
            case .dataPathFailed: "DataPathFailed"
            case .exposeFailed: "ExposeFailed"
            case .dataPathCanceled: "DataPathCanceled"
            }
        }
    }

    /// What went wrong.
    package var code: Code
    /// A one-line explanation naming the ConfigMap, file, field or value involved.
    package var message: String
    /// The underlying error, if any.
    package var cause: (any Error)?
    /// Where the error was raised.
    package var location: ErrorLocation

    /// The message followed by the chain of causes (``descriptionWithCauses``).
    package var description: String { descriptionWithCauses }

    /// Creates an error.
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
