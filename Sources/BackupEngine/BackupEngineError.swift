public import LifeboatErrors

/// The one error type of the BackupEngine module.
///
/// Match on `code`: `catch let e as BackupEngineError where e.code == .notFound`.
public struct BackupEngineError: LifeboatError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case notFound, alreadyExists, invalidSpec, invalidLocation, readOnlyLocation, storageUnavailable,
                corruptBackup, cluster, invalidPriorities, invalidObject, actionFailed, invalidModifiers, modifierFailed,
                `internal`
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A backup, restore or location does not exist.
        public static let notFound = Code(.notFound)
        /// A backup or restore of that name already exists.
        public static let alreadyExists = Code(.alreadyExists)
        /// The backup or restore spec fails validation (filters, selectors, names).
        public static let invalidSpec = Code(.invalidSpec)
        /// The storage location is misconfigured (bucket, prefix, unknown top-level folders).
        public static let invalidLocation = Code(.invalidLocation)
        /// The storage location is read-only.
        public static let readOnlyLocation = Code(.readOnlyLocation)
        /// The storage location cannot be reached.
        public static let storageUnavailable = Code(.storageUnavailable)
        /// A stored backup is unreadable (bad gzip, truncated tarball, invalid JSON).
        public static let corruptBackup = Code(.corruptBackup)
        /// The cluster refused or failed a request.
        public static let cluster = Code(.cluster)
        /// The `--restore-resource-priorities` value does not parse.
        public static let invalidPriorities = Code(.invalidPriorities)
        /// A backed-up or in-cluster object lacks a field a restore transform needs (e.g. `metadata`).
        public static let invalidObject = Code(.invalidObject)
        /// A restore item action could not transform an item (e.g. the target storage class is missing).
        public static let actionFailed = Code(.actionFailed)
        /// The resource-modifiers ConfigMap is malformed (checked before anything is restored).
        public static let invalidModifiers = Code(.invalidModifiers)
        /// A resource-modifier rule failed on one item.
        public static let modifierFailed = Code(.modifierFailed)
        /// A bug.
        public static let `internal` = Code(.internal)

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
