package import Kubernetes

/// One post-restore exec hook chosen for a pod, with its container resolved.
package struct PendingRestoreHook: Sendable, Hashable {
    /// `<from-annotation>` or the spec entry's name.
    package var name: String
    package var source: HookSource
    package var hook: ExecRestoreHook
    /// Set once the hook was taken up (run, or found expired).
    package var executed = false

    /// The hook's container (always set: defaulted to the pod's first).
    package var container: String { hook.exec.container }
}

/// The exec hooks of one container of a restored pod, in order.
package struct ContainerRestoreHooks: Sendable, Hashable {
    package var container: String
    package var hooks: [PendingRestoreHook]
}

/// Velero's `GroupRestoreExecHooks`: a pod's post-restore exec hooks grouped by container (the annotation hook
/// when the pod has `post.hook.restore.velero.io/command`, else every matching spec entry's `exec` hooks),
/// containers in the order their first hook appears.
package enum RestoreExecHookGroups {
    static let prefix = "post.hook.restore.velero.io/"

    /// The hooks of `pod` (as created, in its target namespace).
    package static func group(pod: KubeObject, spec: RestoreHookSpec) -> [ContainerRestoreHooks] {
        let containers = (pod["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        guard let first = containers.first else { return [] }
        var hooks: [PendingRestoreHook] = []
        if var hook = annotationHook(pod.annotations) {
            if hook.exec.container.isEmpty { hook.exec.container = first }
            hooks = [PendingRestoreHook(name: "<from-annotation>", source: .annotation, hook: hook)]
        } else {
            for resource in spec.matching(namespace: pod.namespace ?? "", labels: pod.labels) {
                for post in resource.postHooks {
                    guard var hook = post.exec else { continue }
                    if hook.exec.container.isEmpty { hook.exec.container = first }
                    hooks.append(PendingRestoreHook(name: resource.name, source: .spec, hook: hook))
                }
            }
        }
        var groups: [ContainerRestoreHooks] = []
        for hook in hooks {
            if let index = groups.firstIndex(where: { $0.container == hook.container }) {
                groups[index].hooks.append(hook)
            } else {
                groups.append(ContainerRestoreHooks(container: hook.container, hooks: [hook]))
            }
        }
        return groups
    }

    /// The hook the pod's `post.hook.restore.velero.io/*` annotations describe, `nil` without a command.
    /// Unparsable timeouts and `wait-for-ready` values are ignored, as Velero does (it logs a warning).
    package static func annotationHook(_ annotations: [String: String]) -> ExecRestoreHook? {
        guard let commandValue = annotations[prefix + "command"], !commandValue.isEmpty else { return nil }
        func duration(_ key: String) -> Duration? {
            annotations[prefix + key].flatMap { $0.isEmpty ? nil : GoDuration.parse($0) }
        }
        var exec = ExecHook(
            container: annotations[prefix + "container"] ?? "",
            command: [],
            onError: HookErrorMode(velero: annotations[prefix + "on-error"]),
            timeout: duration("exec-timeout")
        )
        switch HookCommand.parse(commandValue, annotation: prefix + "command") {
        case .success(let command): exec.command = command
        case .failure(let problem): exec.commandProblem = problem.description
        }
        return ExecRestoreHook(
            exec: exec,
            waitTimeout: duration("wait-timeout"),
            waitForReady: annotations[prefix + "wait-for-ready"].flatMap(parseBool) ?? false
        )
    }

    /// Go's `strconv.ParseBool`.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }

    /// Whether `container` of `pod` is up for `hooks`: ready when one of them waits for readiness, else running.
    static func isContainerUp(_ pod: KubeObject, container: String, hooks: [PendingRestoreHook]) -> Bool {
        let waitForReady = hooks.contains { $0.hook.waitForReady }
        for status in pod.status?["containerStatuses"]?.arrayValue ?? [] where status["name"]?.stringValue == container
        {
            if waitForReady { return status["ready"]?.boolValue == true }
            return status["state"]?["running"].map { !$0.isNull } ?? false
        }
        return false
    }

    /// The longest wait timeout of the hooks; `nil` when one has none (Velero then waits until the restore's
    /// hooks are cancelled).
    static func maxWait(_ groups: [ContainerRestoreHooks]) -> Duration? {
        var longest = Duration.zero
        for group in groups {
            for hook in group.hooks {
                guard let wait = hook.hook.waitTimeout, wait > .zero else { return nil }
                longest = max(longest, wait)
            }
        }
        return longest
    }
}
