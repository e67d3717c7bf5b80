/// An error from the pure restore transforms: priorities, metadata reset, restore item actions and
/// resource modifiers. The message names the input (flag, ConfigMap, key, rule, object) and the problem.
///
/// ```swift
/// do { _ = try RestorePriorities(parsing: flag) }
/// catch let e as RestoreTransformError where e.code == .invalidPriorities { ... }
/// ```
public struct RestoreTransformError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a small extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidPriorities, invalidObject, actionFailed, invalidModifiers, modifierFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The `--restore-resource-priorities` value does not parse.
        public static let invalidPriorities = Code(.invalidPriorities)
        /// A backed-up or in-cluster object lacks a field the transform needs (e.g. `metadata`).
        public static let invalidObject = Code(.invalidObject)
        /// A restore item action could not transform an item (e.g. the target storage class is missing).
        public static let actionFailed = Code(.actionFailed)
        /// The resource-modifiers ConfigMap is malformed (checked before anything is restored).
        public static let invalidModifiers = Code(.invalidModifiers)
        /// A resource-modifier rule failed on one item.
        public static let modifierFailed = Code(.modifierFailed)

        public var description: String {
            switch base {
            case .invalidPriorities: "InvalidPriorities"
            case .invalidObject: "InvalidObject"
            case .actionFailed: "ActionFailed"
            case .invalidModifiers: "InvalidModifiers"
            case .modifierFailed: "ModifierFailed"
            }
        }
    }

    /// The code.
    public var code: Code
    /// A human-readable message naming the input and the problem.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}
