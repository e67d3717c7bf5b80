package import Kubernetes

/// Velero's `HookErrorMode`: what a failed hook does to the rest of the pod's processing.
package enum HookErrorMode: String, Sendable, Hashable {
    /// The failure is recorded and the processing goes on.
    case `continue` = "Continue"
    /// The failure stops the pod's remaining hooks (and, for a pre hook, the backup of its volumes).
    case fail = "Fail"

    /// Velero's reading: anything other than `Continue` or `Fail` is unset.
    package init?(velero text: String?) {
        guard let text, let mode = HookErrorMode(rawValue: text) else { return nil }
        self = mode
    }
}

/// One exec hook (Velero's `ExecHook`, and the exec part of an `ExecRestoreHook`), before defaults apply.
package struct ExecHook: Sendable, Hashable {
    /// The container to exec in; empty means the pod's first container.
    package var container: String
    /// The command; never run when ``commandProblem`` is set.
    package var command: [String]
    /// `nil` means Velero's default, `Fail`.
    package var onError: HookErrorMode?
    /// `nil` (or zero) means ``defaultTimeout``.
    package var timeout: Duration?
    /// Why the command cannot be run (an annotation that is neither a JSON array of strings nor a plain command).
    package var commandProblem: String?

    /// Velero's default exec timeout (`pkg/podexec`: 30 s).
    package static let defaultTimeout = Duration.seconds(30)

    package init(
        container: String = "",
        command: [String],
        onError: HookErrorMode? = nil,
        timeout: Duration? = nil,
        commandProblem: String? = nil
    ) {
        self.container = container
        self.command = command
        self.onError = onError
        self.timeout = timeout
        self.commandProblem = commandProblem
    }

    /// The error mode that applies (`Fail` when unset).
    package var effectiveOnError: HookErrorMode { onError ?? .fail }

    /// The timeout that applies.
    package var effectiveTimeout: Duration {
        guard let timeout, timeout > .zero else { return Self.defaultTimeout }
        return timeout
    }

    /// Reads the JSON form `{"container": …, "command": […], "onError": …, "timeout": "…"}`.
    ///
    /// - Parameters:
    ///   - value: the JSON object.
    ///   - timeoutKey: the field holding the timeout (`timeout`, or `execTimeout` for restore hooks).
    ///   - field: where the object is, for messages (`spec.hooks.resources[0].pre[1].exec`).
    /// - Throws: `BackupEngineError.invalidSpec` naming `field` when a field has the wrong type.
    package init(json value: JSONValue, timeoutKey: String = "timeout", field: String) throws {
        guard value.objectValue != nil else { throw HookSpecReader.problem(field, "must be an object") }
        let command = try HookSpecReader.strings(value["command"], field: "\(field).command")
        guard !command.isEmpty else { throw HookSpecReader.problem("\(field).command", "is required") }
        self.init(
            container: try HookSpecReader.string(value["container"], field: "\(field).container") ?? "",
            command: command,
            onError: HookErrorMode(velero: try HookSpecReader.string(value["onError"], field: "\(field).onError")),
            timeout: try HookSpecReader.duration(value[timeoutKey], field: "\(field).\(timeoutKey)")
        )
    }
}

/// Velero's command annotation: a JSON array of strings when it starts with `[`, else one word (the whole
/// value is the command).
package enum HookCommand {
    /// The command in `value` of annotation `key`.
    /// - Returns: the command, or the problem naming the annotation when `value` starts with `[` but is not a
    ///   JSON array of strings (Velero would run it as a one-word command that cannot exist).
    package static func parse(_ value: String, annotation key: String) -> Swift.Result<[String], HookCommandError> {
        guard value.hasPrefix("[") else { return .success([value]) }
        let parsed = try? JSONValue(parsing: value)
        guard let items = parsed?.arrayValue else {
            return .failure(HookCommandError(annotation: key, value: value, reason: "it is not valid JSON"))
        }
        var command: [String] = []
        for item in items {
            guard let word = item.stringValue else {
                return .failure(
                    HookCommandError(
                        annotation: key,
                        value: value,
                        reason: "element \(item.jsonString) is not a string"
                    )
                )
            }
            command.append(word)
        }
        guard !command.isEmpty else {
            return .failure(HookCommandError(annotation: key, value: value, reason: "the array is empty"))
        }
        return .success(command)
    }
}

/// A command annotation that is neither a JSON array of strings nor a plain command.
package struct HookCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The annotation's key.
    package var annotation: String
    /// Its value.
    package var value: String
    /// What is wrong.
    package var reason: String

    package var description: String {
        "invalid value for annotation \(annotation): \(value.debugDescription) is neither a JSON array of strings "
            + "nor a plain command (\(reason))"
    }
}
