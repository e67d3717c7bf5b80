import Foundation
package import Kubernetes

/// Velero's `restore-wait` init container (`pkg/restore/actions/pod_volume_restore_action.go`), run by Lifeboat's
/// image as `lifeboat restore-helper <restore uid>`: it mounts each restored volume at `/restores/<volume>` and
/// ends once the node agent has written `.velero/<restore uid>` into every one of them, so the application starts
/// on its data.
///
/// The ConfigMap labelled `velero.io/plugin-config` and `velero.io/pod-volume-restore=RestoreItemAction` in the
/// install namespace (Velero's `fs-restore-action-config`) overrides its shape with Velero's keys: `image`,
/// `command`, `cpuRequest`, `memRequest`, `cpuLimit`, `memLimit`, `secCtxRunAsUser`, `secCtxRunAsGroup`,
/// `secCtxAllowPrivilegeEscalation` and `secCtx`.
package struct RestoreWaitContainer: Sendable, Hashable {
    /// The container's name (Velero's `restorehelper.WaitInitContainer`).
    package static let name = "restore-wait"
    /// The name releases before Velero 1.10 gave it; removed from restored pods like the current one.
    package static let legacyName = "restic-wait"
    /// Lifeboat's image, which runs the helper (Velero's default is its server image).
    package static let lifeboatImage = "ghcr.io/lifeboat/lifeboat"
    /// The helper's command in Lifeboat's image (Velero's is `/velero-restore-helper`); the restore's UID follows
    /// as the argument.
    package static let defaultCommand = ["/lifeboat", "restore-helper"]
    /// Where the helper finds the volumes.
    package static let mountRoot = "/restores"
    /// The plugin the ConfigMap configures.
    package static let plugin = "velero.io/pod-volume-restore"
    /// Velero's default CPU request and limit.
    package static let defaultCPU = "100m"
    /// Velero's default memory request and limit.
    package static let defaultMemory = "128Mi"
    /// The user of Velero's default (Pod Security "restricted") security context.
    package static let helperUID: Int64 = 1000

    /// The image.
    package var image: String
    /// The command (the restore UID is the one argument).
    package var command: [String]
    /// `resources` of the container.
    package var resources: JSONValue
    /// The security context from the ConfigMap; `nil` copies the pod's first container's, else Velero's default.
    package var securityContext: JSONValue?

    /// The container with Velero's defaults and Lifeboat's image.
    package init(
        image: String = RestoreWaitContainer.lifeboatImage,
        command: [String] = RestoreWaitContainer.defaultCommand,
        resources: JSONValue = RestoreWaitContainer.resources(),
        securityContext: JSONValue? = nil
    ) {
        self.image = image
        self.command = command
        self.resources = resources
        self.securityContext = securityContext
    }

    /// The container shaped by a plugin ConfigMap's data (Velero's `getImage`, `getCommand`, resource and
    /// security-context getters). Values that do not parse fall back to the defaults, as in Velero.
    package init(configuration data: [String: String]?, defaultImage: String = RestoreWaitContainer.lifeboatImage) {
        let data = data ?? [:]
        var image = defaultImage
        if let configured = data["image"], !configured.isEmpty, configured.contains("/") {
            // An image without a registry part is ignored (Velero keeps its own then).
            image = configured
        }
        let command = data["command"].flatMap { $0.isEmpty ? nil : [$0] } ?? Self.defaultCommand
        func value(_ key: String, _ fallback: String) -> String {
            guard let v = data[key], !v.isEmpty else { return fallback }
            return v
        }
        let quantities = [
            value("cpuRequest", Self.defaultCPU), value("memRequest", Self.defaultMemory),
            value("cpuLimit", Self.defaultCPU), value("memLimit", Self.defaultMemory),
        ]
        let parsed = quantities.allSatisfy { (try? Quantity(parsing: $0)) != nil }
        let resources =
            parsed
            ? Self.resources(
                cpuRequest: quantities[0],
                memRequest: quantities[1],
                cpuLimit: quantities[2],
                memLimit: quantities[3]
            )
            : Self.resources()
        self.init(
            image: image,
            command: command,
            resources: resources,
            securityContext: Self.securityContext(from: data)
        )
    }

    /// `resources` with requests and limits; a value of `0` leaves that entry out (Velero's
    /// `ParseCPUAndMemoryResources`).
    package static func resources(
        cpuRequest: String = defaultCPU,
        memRequest: String = defaultMemory,
        cpuLimit: String = defaultCPU,
        memLimit: String = defaultMemory
    ) -> JSONValue {
        func entries(cpu: String, memory: String) -> JSONValue {
            var object = JSONObject()
            if cpu != "0" { object["cpu"] = .string(cpu) }
            if memory != "0" { object["memory"] = .string(memory) }
            return .object(object)
        }
        return [
            "requests": entries(cpu: cpuRequest, memory: memRequest),
            "limits": entries(cpu: cpuLimit, memory: memLimit),
        ]
    }

    /// The security context the ConfigMap sets (`secCtx` YAML, then the three single keys), or `nil` when it sets
    /// none or one does not parse (Velero then uses its defaults).
    static func securityContext(from data: [String: String]) -> JSONValue? {
        let user = data["secCtxRunAsUser"] ?? ""
        let group = data["secCtxRunAsGroup"] ?? ""
        let escalation = data["secCtxAllowPrivilegeEscalation"] ?? ""
        let yaml = data["secCtx"] ?? ""
        guard !(user.isEmpty && group.isEmpty && escalation.isEmpty && yaml.isEmpty) else { return nil }
        var context = JSONObject()
        if !yaml.isEmpty {
            guard let parsed = try? JSONValue(yamlOrJSON: yaml), let object = parsed.objectValue else { return nil }
            context = object
        }
        if !user.isEmpty {
            guard let uid = Int64(user) else { return nil }
            context["runAsUser"] = .int(uid)
        }
        if !group.isEmpty {
            guard let gid = Int64(group) else { return nil }
            context["runAsGroup"] = .int(gid)
        }
        if !escalation.isEmpty {
            guard let allow = Bool(escalation.lowercased()) else { return nil }
            context["allowPrivilegeEscalation"] = .bool(allow)
        }
        return .object(context)
    }

    /// Velero's `defaultSecurityCtx`: Pod Security Standards "restricted".
    package static var defaultSecurityContext: JSONValue {
        [
            "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]],
            "seccompProfile": ["type": "RuntimeDefault"], "runAsUser": .int(helperUID), "runAsNonRoot": true,
        ]
    }

    /// The init container for a pod whose `volumes` are restored, for restore `restoreUID`.
    /// - Parameter podSpec: the pod's spec (its first container's security context is copied when the ConfigMap
    ///   sets none).
    package func container(restoreUID: String, volumes: [String], podSpec: JSONValue?) -> JSONValue {
        let security =
            securityContext ?? podSpec?["containers"]?.arrayValue?.first?["securityContext"]
            ?? Self.defaultSecurityContext
        let fieldEnv: (String, String) -> JSONValue = { name, path in
            ["name": .string(name), "valueFrom": ["fieldRef": ["fieldPath": .string(path)]]]
        }
        return [
            "name": .string(Self.name),
            "image": .string(image),
            "command": .array(command.map(JSONValue.string)),
            "args": [.string(restoreUID)],
            "env": [fieldEnv("POD_NAMESPACE", "metadata.namespace"), fieldEnv("POD_NAME", "metadata.name")],
            "resources": resources,
            "securityContext": security,
            "volumeMounts": .array(
                volumes.sorted().map { ["name": .string($0), "mountPath": .string("\(Self.mountRoot)/\($0)")] }
            ),
        ]
    }
}
