package import Kubernetes

/// `velero.io/job`: removes the controller-uid labels (`batch.kubernetes.io/controller-uid`, legacy
/// `controller-uid`) from `spec.selector.matchLabels` and `spec.template.metadata.labels`, so the new
/// Job's controller can set its own.
package struct JobRestoreAction: RestoreItemAction {
    package let name = "velero.io/job"
    let groupResources: Set<String> = ["jobs.batch"]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }
    static let controllerUIDLabels = ["batch.kubernetes.io/controller-uid", "controller-uid"]

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        var item = input.item
        for path in [["spec", "selector", "matchLabels"], ["spec", "template", "metadata", "labels"]] {
            guard var labels = item[path: path]?.objectValue else { continue }
            var changed = false
            for key in Self.controllerUIDLabels where labels.removeValue(forKey: key) != nil { changed = true }
            if changed { item[path: path] = .object(labels) }
        }
        return RestoreItemActionOutput(item: item)
    }
}

/// `velero.io/pod`: clears `spec.nodeName` and `spec.priority`, drops the volumes and the (init)
/// container volume mounts named `<serviceAccountName>-token-*`, and asks for the pod's PriorityClass
/// first.
package struct PodRestoreAction: RestoreItemAction {
    package let name = "velero.io/pod"
    let groupResources: Set<String> = ["pods"]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        var item = input.item
        guard var spec = item["spec"]?.objectValue else { return RestoreItemActionOutput(item: item) }
        spec.removeValue(forKey: "nodeName")
        spec.removeValue(forKey: "priority")
        let tokenPrefix = (spec["serviceAccountName"]?.stringValue ?? "") + "-token-"
        func keep(_ entry: JSONValue) -> Bool {
            !(entry["name"]?.stringValue ?? "").hasPrefix(tokenPrefix)
        }
        if let volumes = spec["volumes"]?.arrayValue {
            spec["volumes"] = .array(volumes.filter(keep))
        }
        for field in ["containers", "initContainers"] {
            guard let containers = spec[field]?.arrayValue else { continue }
            spec[field] = .array(
                containers.map { container in
                    guard let mounts = container["volumeMounts"]?.arrayValue else { return container }
                    var updated = container
                    updated["volumeMounts"] = .array(mounts.filter(keep))
                    return updated
                }
            )
        }
        let priorityClass = spec["priorityClassName"]?.stringValue ?? ""
        item["spec"] = .object(spec)
        var output = RestoreItemActionOutput(item: item)
        if !priorityClass.isEmpty {
            output.additionalItems = [
                RestoreItemReference(groupResource: "priorityclasses.scheduling.k8s.io", name: priorityClass)
            ]
        }
        return output
    }
}

/// `velero.io/add-pvc-from-pod`: asks for the pod's PersistentVolumeClaims first (in volume order).
package struct AddPVCFromPodRestoreAction: RestoreItemAction {
    package let name = "velero.io/add-pvc-from-pod"
    let groupResources: Set<String> = ["pods"]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        var output = RestoreItemActionOutput(item: input.item)
        let namespace = RestoreObjectFields.namespace(input.item)
        for volume in input.item[path: ["spec", "volumes"]]?.arrayValue ?? [] {
            guard let claim = volume[path: ["persistentVolumeClaim", "claimName"]]?.stringValue else { continue }
            output.additionalItems.append(
                RestoreItemReference(groupResource: "persistentvolumeclaims", namespace: namespace, name: claim)
            )
        }
        return output
    }
}

/// `velero.io/change-image-name`: rewrites container and init-container images by the plugin
/// ConfigMap's rules. Each value is `<old part>,<new part>`; the first rule (by key order — Velero's is
/// a random map order) whose old part occurs in the image replaces every occurrence of it with the new
/// part. Images without a matching rule are left alone.
package struct ChangeImageNameRestoreAction: RestoreItemAction {
    package let name = "velero.io/change-image-name"
    let groupResources: Set<String> = [
        "deployments.apps", "statefulsets.apps", "daemonsets.apps", "replicasets.apps", "replicationcontrollers",
        "jobs.batch", "cronjobs.batch", "pods",
    ]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        guard let mapping = context.imageNameMapping, !mapping.isEmpty else {
            return RestoreItemActionOutput(item: input.item)
        }
        let podSpecPath: [String]
        switch RestoreObjectFields.kind(input.item) {
        case "Pod": podSpecPath = ["spec"]
        case "CronJob": podSpecPath = ["spec", "jobTemplate", "spec", "template", "spec"]
        default: podSpecPath = ["spec", "template", "spec"]
        }
        let rules = mapping.sorted { $0.key < $1.key }.map(\.value)
        var item = input.item
        for field in ["containers", "initContainers"] {
            let path = podSpecPath + [field]
            guard var containers = item[path: path]?.arrayValue, !containers.isEmpty else { continue }
            var changed = false
            for index in containers.indices {
                guard let image = containers[index]["image"]?.stringValue,
                    let replaced = Self.replacement(for: image, rules: rules)
                else { continue }
                containers[index]["image"] = .string(replaced)
                changed = true
            }
            if changed { item[path: path] = .array(containers) }
        }
        return RestoreItemActionOutput(item: item)
    }

    /// The new image name under the first matching rule, or nil (`isImageReplaceRuleExist`).
    static func replacement(for image: String, rules: [String]) -> String? {
        guard !image.isEmpty else { return nil }
        for rule in rules {
            guard let comma = rule.firstIndex(of: ",") else { continue }
            let oldPart = String(rule[..<comma]).restoreTrimmingSpaces
            let newPart = String(rule[rule.index(after: comma)...]).restoreTrimmingSpaces
            // Velero requires something after the comma; an empty old part would match everywhere.
            guard rule.index(after: comma) < rule.endIndex, !oldPart.isEmpty, image.contains(oldPart) else {
                continue
            }
            return image.restoreReplacingAll(oldPart, with: newPart)
        }
        return nil
    }
}

extension String {
    /// The string without leading and trailing white space (Go's `strings.TrimSpace` for ASCII).
    var restoreTrimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    /// Every non-overlapping occurrence of `target` replaced, left to right (Go's `strings.ReplaceAll`).
    func restoreReplacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
