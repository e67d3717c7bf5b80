package import LifeboatErrors

/// The one error type of the BackupEngine module.
///
/// Match on `code`: `catch let e as BackupEngineError where e.code == .notFound`.
package struct BackupEngineError: LifeboatError {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case notFound, alreadyExists, invalidSpec, invalidLocation, readOnlyLocation, storageUnavailable,
                corruptBackup, cluster, invalidPriorities, invalidObject, actionFailed, invalidModifiers,
                modifierFailed, interrupted,
                `internal`
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A backup, restore or location does not exist.
        package static let notFound = Code(.notFound)
        /// A backup or restore of that name already exists.
        package static let alreadyExists = Code(.alreadyExists)
        /// The backup or restore spec fails validation (filters, selectors, names).
        package static let invalidSpec = Code(.invalidSpec)
        /// The storage location is misconfigured (bucket, prefix, unknown top-level folders).
        package static let invalidLocation = Code(.invalidLocation)
        /// The storage location is read-only.
        package static let readOnlyLocation = Code(.readOnlyLocation)
        /// The storage location cannot be reached.
        package static let storageUnavailable = Code(.storageUnavailable)
        /// A stored backup is unreadable (bad gzip, truncated tarball, invalid JSON).
        package static let corruptBackup = Code(.corruptBackup)
        /// The cluster refused or failed a request.
        package static let cluster = Code(.cluster)
        /// The `--restore-resource-priorities` value does not parse.
        package static let invalidPriorities = Code(.invalidPriorities)
        /// A backed-up or in-cluster object lacks a field a restore transform needs (e.g. `metadata`).
        package static let invalidObject = Code(.invalidObject)
        /// A restore item action could not transform an item (e.g. the target storage class is missing).
        package static let actionFailed = Code(.actionFailed)
        /// The resource-modifiers ConfigMap is malformed (checked before anything is restored).
        package static let invalidModifiers = Code(.invalidModifiers)
        /// A resource-modifier rule failed on one item.
        package static let modifierFailed = Code(.modifierFailed)
        /// The run was cancelled (Ctrl-C, SIGTERM) and cleaned up after itself.
        package static let interrupted = Code(.interrupted)
        /// A bug.
        package static let `internal` = Code(.internal)

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
