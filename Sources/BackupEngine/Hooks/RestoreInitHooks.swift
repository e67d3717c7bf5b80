import Foundation
package import Kubernetes

/// Velero's init-container restore hooks (`InitContainerRestoreHookHandler`): the pod's
/// `init.hook.restore.velero.io/{container-image,container-name,command}` annotations, else the init
/// containers of every matching `spec.hooks.resources[].postHooks[].init`, go before the pod's own init
/// containers, after `restore-wait` when that is first.
package enum RestoreInitHooks {
    /// The name of the init container that waits for pod volume restores (Velero's `restorehelper`).
    package static let restoreWaitContainer = "restore-wait"

    static let imageAnnotation = "init.hook.restore.velero.io/container-image"
    static let nameAnnotation = "init.hook.restore.velero.io/container-name"
    static let commandAnnotation = "init.hook.restore.velero.io/command"

    /// `pod` with its init-container hooks inserted.
    ///
    /// - Parameters:
    ///   - pod: the pod as it will be created, in its target namespace.
    ///   - spec: the Restore's hooks.
    ///   - log: where Velero's lines go (`Handling InitRestoreHooks from …`, `Returning pod … with N init
    ///     container(s)`); nothing is logged when no hook applies.
    /// - Returns: the pod, unchanged when no hook applies.
    /// - Throws: `BackupEngineError.invalidSpec` when a spec init container lacks its name, image or command
    ///   (Velero's `invalid InitContainer in restore hook, it doesn't have Command, Name or Image field`) or an
    ///   annotation command is neither a JSON array nor a plain command.
    package static func apply(to pod: JSONValue, spec: RestoreHookSpec, log: RunLog? = nil) throws -> JSONValue {
        let object = KubeObject(pod)
        let annotations = object?.annotations ?? [:]
        var hooks: [JSONValue]
        let source: String
        if let image = annotations[imageAnnotation], !image.isEmpty {
            source = "pod annotations"
            hooks = [try annotationContainer(image: image, annotations: annotations)]
        } else {
            source = "RestoreSpec"
            hooks = []
            let namespace = object?.namespace ?? ""
            for resource in spec.matching(namespace: namespace, labels: object?.labels ?? [:]) {
                for post in resource.postHooks {
                    for container in post.initContainers {
                        try validate(container)
                        hooks.append(container)
                    }
                }
            }
        }
        guard !hooks.isEmpty else { return pod }
        var existing = pod[path: ["spec", "initContainers"]]?.arrayValue ?? []
        var initContainers: [JSONValue] = []
        if let first = existing.first, first["name"]?.stringValue == restoreWaitContainer {
            initContainers.append(first)
            existing.removeFirst()
        }
        initContainers += hooks + existing
        var result = pod
        result[path: ["spec", "initContainers"]] = .array(initContainers)
        let name = "\(object?.namespace ?? "")/\(object?.name ?? "")"
        log?.info("Handling InitRestoreHooks from \(source)")
        log?.info("Returning pod \(name) with \(initContainers.count) init container(s)")
        return result
    }

    /// The init container the annotations describe; without a name, `velero-restore-init-<8 hex>`.
    private static func annotationContainer(image: String, annotations: [String: String]) throws -> JSONValue {
        var name = annotations[nameAnnotation] ?? ""
        if name.isEmpty {
            let random = UUID().uuidString.lowercased().prefix { $0 != "-" }
            name = "velero-restore-init-\(random)"
        }
        var container: JSONObject = ["name": .string(name), "image": .string(image)]
        if let commandValue = annotations[commandAnnotation], !commandValue.isEmpty {
            switch HookCommand.parse(commandValue, annotation: commandAnnotation) {
            case .success(let command): container["command"] = .array(command.map(JSONValue.string))
            case .failure(let problem): throw BackupEngineError(code: .invalidSpec, message: problem.description)
            }
        }
        return .object(container)
    }

    /// Velero's `ValidateContainer`: name, image and command are required.
    private static func validate(_ container: JSONValue) throws {
        let command = container["command"]?.arrayValue ?? []
        let name = container["name"]?.stringValue ?? ""
        let image = container["image"]?.stringValue ?? ""
        guard container.objectValue != nil, !command.isEmpty, !name.isEmpty, !image.isEmpty else {
            throw BackupEngineError(
                code: .invalidSpec,
                message: "invalid InitContainer in restore hook, it doesn't have Command, Name or Image field"
            )
        }
    }
}
