package import Kubernetes

/// One post-restore exec hook (Velero's `ExecRestoreHook`): the exec part plus how long to wait for the
/// container and whether to wait for it to be ready rather than running.
package struct ExecRestoreHook: Sendable, Hashable {
    /// Container, command, `onError` and the exec timeout (`execTimeout`).
    package var exec: ExecHook
    /// How long after the pod is created the hook may still start; `nil` waits as long as the restore does.
    package var waitTimeout: Duration?
    /// Wait for the container to be ready, not only running.
    package var waitForReady: Bool

    package init(exec: ExecHook, waitTimeout: Duration? = nil, waitForReady: Bool = false) {
        self.exec = exec
        self.waitTimeout = waitTimeout
        self.waitForReady = waitForReady
    }
}

/// A Restore's `spec.hooks.resources[]` (Velero's `RestoreResourceHookSpec`, typed): post hooks that are init
/// containers added to restored pods or exec hooks run in them.
package struct RestoreHookSpec: Sendable, Hashable {
    /// One entry of `postHooks`: an exec hook or init containers (or both).
    package struct PostHook: Sendable, Hashable {
        package var exec: ExecRestoreHook?
        /// Full container specs (`init.initContainers`), checked when they are added to a pod.
        package var initContainers: [JSONValue]

        package init(exec: ExecRestoreHook? = nil, initContainers: [JSONValue] = []) {
            self.exec = exec
            self.initContainers = initContainers
        }
    }

    /// One `resources[]` entry.
    package struct Resource: Sendable, Hashable {
        package var name: String
        /// Namespaces and labels (Velero ignores the resource lists of restore hooks: they apply to pods).
        package var selector: HookSelector
        package var postHooks: [PostHook]

        package init(name: String, selector: HookSelector = HookSelector(), postHooks: [PostHook] = []) {
            self.name = name
            self.selector = selector
            self.postHooks = postHooks
        }
    }

    package var resources: [Resource]

    package init(resources: [Resource] = []) { self.resources = resources }

    /// Whether there is nothing to do from the spec (annotations may still add hooks).
    package var isEmpty: Bool { resources.isEmpty }

    /// Reads `spec.hooks` of a Restore (`{"resources": [...]}`).
    /// - Throws: `BackupEngineError.invalidSpec` naming the field that is wrong.
    package init(json hooks: JSONValue?) throws {
        var resources: [Resource] = []
        for (index, entry) in try HookSpecReader.resources(hooks).enumerated() {
            let field = "spec.hooks.resources[\(index)]"
            guard entry.objectValue != nil else { throw HookSpecReader.problem(field, "must be an object") }
            var postHooks: [PostHook] = []
            for (i, hook) in try HookSpecReader.list(entry["postHooks"], field: "\(field).postHooks").enumerated() {
                let hookField = "\(field).postHooks[\(i)]"
                var post = PostHook()
                if let exec = hook["exec"], !exec.isNull {
                    post.exec = ExecRestoreHook(
                        exec: try ExecHook(json: exec, timeoutKey: "execTimeout", field: "\(hookField).exec"),
                        waitTimeout: try HookSpecReader.duration(
                            exec["waitTimeout"],
                            field: "\(hookField).exec.waitTimeout"
                        ),
                        waitForReady: try HookSpecReader.bool(
                            exec["waitForReady"],
                            field: "\(hookField).exec.waitForReady"
                        ) ?? false
                    )
                }
                if let initHook = hook["init"], !initHook.isNull {
                    post.initContainers = try HookSpecReader.list(
                        initHook["initContainers"],
                        field: "\(hookField).init.initContainers"
                    )
                }
                postHooks.append(post)
            }
            resources.append(
                Resource(
                    name: try HookSpecReader.string(entry["name"], field: "\(field).name") ?? "",
                    selector: try HookSelector.read(entry, field: field, withResources: false),
                    postHooks: postHooks
                )
            )
        }
        self.resources = resources
    }

    /// The entries that apply to a pod in `namespace` (the restore's target namespace) with `labels`.
    package func matching(namespace: String, labels: [String: String]) -> [Resource] {
        resources.filter { $0.selector.applies(namespace: namespace, labels: labels) }
    }
}
