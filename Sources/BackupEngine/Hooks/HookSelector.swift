package import Kubernetes

/// Which pods a spec hook applies to (Velero's `ResourceHookSelector`): namespaces, resources and labels.
package struct HookSelector: Sendable, Hashable {
    package var namespaces: IncludesExcludes
    /// Resources as Velero's group-resource strings (`pods`); the hooks only ever run on pods.
    package var resources: IncludesExcludes
    /// `nil` matches every pod.
    package var labelSelector: LabelSelector?

    package init(
        namespaces: IncludesExcludes = IncludesExcludes(),
        resources: IncludesExcludes = IncludesExcludes(),
        labelSelector: LabelSelector? = nil
    ) {
        self.namespaces = namespaces
        self.resources = resources
        self.labelSelector = labelSelector
    }

    /// Whether the hooks apply to a pod in `namespace` with `labels` (`applicableTo` for `pods`).
    package func applies(namespace: String, labels: [String: String]) -> Bool {
        if !namespaces.shouldInclude(namespace) { return false }
        if !resources.shouldInclude("pods") { return false }
        if let labelSelector, !labelSelector.matches(labels) { return false }
        return true
    }

    /// Reads the selector fields of a `BackupResourceHookSpec` / `RestoreResourceHookSpec`.
    ///
    /// Resource names are resolved as discovery resolves them for pods (`pod`, `pods`, `po`, `pods.` and
    /// `Pod` all mean `pods`); other names are kept as written (they never match a pod).
    /// - Parameter withResources: read `includedResources`/`excludedResources` (restore hooks ignore them:
    ///   Velero applies them to pods only).
    static func read(_ value: JSONValue, field: String, withResources: Bool) throws -> HookSelector {
        var selector = HookSelector(
            namespaces: IncludesExcludes(
                includes: try HookSpecReader.strings(value["includedNamespaces"], field: "\(field).includedNamespaces"),
                excludes: try HookSpecReader.strings(value["excludedNamespaces"], field: "\(field).excludedNamespaces")
            )
        )
        if withResources {
            selector.resources = IncludesExcludes(
                includes: try HookSpecReader.strings(value["includedResources"], field: "\(field).includedResources")
                    .map(resolve),
                excludes: try HookSpecReader.strings(value["excludedResources"], field: "\(field).excludedResources")
                    .map(resolve)
            )
        }
        if let labels = value["labelSelector"], !labels.isNull {
            do {
                selector.labelSelector = try LabelSelector(json: labels)
            } catch {
                throw HookSpecReader.problem("\(field).labelSelector", "is invalid: \(error)")
            }
        }
        return selector
    }

    /// `pods` for the names discovery resolves to the core pods resource.
    private static func resolve(_ name: String) -> String {
        switch name.lowercased() {
        case "pod", "pods", "po", "pods.", "pod.", "po.": "pods"
        default: name
        }
    }
}
