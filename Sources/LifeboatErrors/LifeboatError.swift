/// The shape every Lifeboat module's error has: a code, a one-line message, an optional cause and the
/// location that raised it.
///
/// Each module keeps one error struct (`KubeError`, `ObjectStoreError`, `RepositoryError`, …) whose codes are
/// static members over a private enum, and conforms it to this protocol, which gives them all the same
/// printing:
/// - ``descriptionWithCauses``: the message followed by the chain of causes, each after `": "` — the one line a
///   user sees. Each error's `description` returns it (declared on the error itself, so that callers need not
///   import this module to read it);
/// - ``detailedDescription``: a tree with the code, message, every cause (nested Lifeboat errors as sub-trees)
///   and each source location, for logs and `--verbose`.
///
/// ```swift
/// public struct ArchiveError: LifeboatError {
///     public struct Code: Hashable, Sendable, CustomStringConvertible { … }
///     public var code: Code
///     public var message: String
///     public var cause: (any Error)?
///     public var location: ErrorLocation
///     public var description: String { descriptionWithCauses }
/// }
/// ```
public protocol LifeboatError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    /// The error's code type: a small extensible set of named values.
    associatedtype Code: Hashable & Sendable & CustomStringConvertible

    /// What went wrong.
    var code: Code { get }
    /// One line naming the file, field, object or value concerned (without the causes).
    var message: String { get }
    /// The underlying error, if any.
    var cause: (any Error)? { get }
    /// Where the error was raised.
    var location: ErrorLocation { get }
    /// The tree printed by ``detailedDescription``, one entry a line.
    var detailedDescriptionLines: [String] { get }
}

extension LifeboatError {
    /// The message followed by the chain of causes: `message: cause: cause's cause`.
    public var descriptionWithCauses: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }

    /// A multi-line description: the type and code, the message, each cause and each source location.
    ///
    /// ```
    /// BackupEngineError: storageUnavailable
    /// ├─ Reason: backup storage location default: cannot list backups
    /// ├─ Cause:
    /// │  └─ ObjectStoreError: unavailable
    /// │     ├─ Reason: GET http://127.0.0.1:9000/bucket: connection refused
    /// │     └─ Source location: list(prefix:) (ObjectStorage/S3/S3ObjectStore.swift:88)
    /// └─ Source location: listBackups() (BackupEngine/Store/BackupStore.swift:41)
    /// ```
    public var detailedDescription: String { detailedDescriptionLines.joined(separator: "\n") }

    public var debugDescription: String { detailedDescription }

    public var detailedDescriptionLines: [String] {
        var lines = ["\(Self.self): \(code)", "├─ Reason: \(message)"]
        if let nested = cause as? any LifeboatError {
            let causeLines = nested.detailedDescriptionLines
            lines.append("├─ Cause:")
            for (index, line) in causeLines.enumerated() {
                lines.append((index == 0 ? "│  └─ " : "│     ") + line)
            }
        } else if let cause {
            lines.append("├─ Cause: \(String(reflecting: cause))")
        }
        lines.append("└─ Source location: \(location)")
        return lines
    }
}
