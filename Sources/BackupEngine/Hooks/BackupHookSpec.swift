package import Kubernetes

/// Where a hook comes from (Velero's `hookSource` log field).
package enum HookSource: String, Sendable, Hashable {
    case annotation = "annotation"
    case spec = "spec"
}

/// A backup hook phase (Velero's `HookPhase`).
package enum BackupHookPhase: String, Sendable, Hashable {
    case pre
    case post
}

/// One hook chosen for a pod: what to run, where it comes from and its name in the logs.
package struct SelectedExecHook: Sendable, Hashable {
    /// `<from-annotation>` or the spec entry's name.
    package var name: String
    package var source: HookSource
    package var hook: ExecHook
}

/// A Backup's `spec.hooks.resources[]` (Velero's `BackupResourceHookSpec`, typed).
///
/// ```swift
/// let hooks = try BackupHookSpec(json: backup.spec.hooks)
/// let pre = hooks.selectHooks(for: pod, phase: .pre)
/// ```
package struct BackupHookSpec: Sendable, Hashable {
    /// One `resources[]` entry.
    package struct Resource: Sendable, Hashable {
        package var name: String
        package var selector: HookSelector
        package var pre: [ExecHook]
        package var post: [ExecHook]

        package init(name: String, selector: HookSelector = HookSelector(), pre: [ExecHook] = [], post: [ExecHook] = [])
        {
            self.name = name
            self.selector = selector
            self.pre = pre
            self.post = post
        }
    }

    package var resources: [Resource]

    package init(resources: [Resource] = []) { self.resources = resources }

    /// Reads `spec.hooks` of a Backup (`{"resources": [...]}`).
    /// - Throws: `BackupEngineError.invalidSpec` naming the field that is wrong.
    package init(json hooks: JSONValue?) throws {
        var resources: [Resource] = []
        for (index, entry) in try HookSpecReader.resources(hooks).enumerated() {
            let field = "spec.hooks.resources[\(index)]"
            guard entry.objectValue != nil else { throw HookSpecReader.problem(field, "must be an object") }
            func phase(_ key: String) throws -> [ExecHook] {
                try HookSpecReader.list(entry[key], field: "\(field).\(key)").enumerated().compactMap { i, hook in
                    // Velero runs the `exec` of each entry; an entry without one does nothing.
                    guard let exec = hook["exec"], !exec.isNull else { return nil }
                    return try ExecHook(json: exec, field: "\(field).\(key)[\(i)].exec")
                }
            }
            resources.append(
                Resource(
                    name: try HookSpecReader.string(entry["name"], field: "\(field).name") ?? "",
                    selector: try HookSelector.read(entry, field: field, withResources: true),
                    pre: try phase("pre"),
                    post: try phase("post")
                )
            )
        }
        self.resources = resources
    }

    /// The hooks to run on `pod` in `phase`, in order: the pod's annotation hook when it has one (Velero's
    /// rule: annotations win; for `pre` the legacy unphased `hook.backup.velero.io/*` keys count too), else
    /// every matching spec entry's hooks.
    package func selectHooks(for pod: KubeObject, phase: BackupHookPhase) -> [SelectedExecHook] {
        let annotations = pod.annotations
        if let hook = BackupHookAnnotations.hook(annotations, phase: phase.rawValue)
            ?? (phase == .pre ? BackupHookAnnotations.hook(annotations, phase: nil) : nil)
        {
            return [SelectedExecHook(name: "<from-annotation>", source: .annotation, hook: hook)]
        }
        let namespace = pod.namespace ?? ""
        let labels = pod.labels
        var selected: [SelectedExecHook] = []
        for resource in resources where resource.selector.applies(namespace: namespace, labels: labels) {
            for hook in phase == .pre ? resource.pre : resource.post {
                selected.append(SelectedExecHook(name: resource.name, source: .spec, hook: hook))
            }
        }
        return selected
    }
}

/// Velero's backup hook annotations: `pre.hook.backup.velero.io/{container,command,on-error,timeout}`, the
/// `post.` forms, and the legacy unphased keys (read as `pre`).
package enum BackupHookAnnotations {
    /// The hook the annotations of `phase` (`pre`, `post`, or `nil` for the legacy keys) describe; `nil` when
    /// they have no command. An unparsable timeout falls back to the default (as Velero, which logs a warning).
    package static func hook(_ annotations: [String: String], phase: String?) -> ExecHook? {
        func key(_ name: String) -> String { (phase.map { "\($0)." } ?? "") + "hook.backup.velero.io/\(name)" }
        guard let commandValue = annotations[key("command")], !commandValue.isEmpty else { return nil }
        var hook = ExecHook(
            container: annotations[key("container")] ?? "",
            command: [],
            onError: HookErrorMode(velero: annotations[key("on-error")]),
            timeout: annotations[key("timeout")].flatMap { $0.isEmpty ? nil : GoDuration.parse($0) }
        )
        switch HookCommand.parse(commandValue, annotation: key("command")) {
        case .success(let command): hook.command = command
        case .failure(let problem): hook.commandProblem = problem.description
        }
        return hook
    }
}
