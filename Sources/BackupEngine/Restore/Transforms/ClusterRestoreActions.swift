package import Kubernetes

/// `velero.io/role-bindings` and `velero.io/cluster-role-bindings`: moves each subject's namespace
/// through the restore's namespace mapping.
package struct RoleBindingRestoreAction: RestoreItemAction {
    package let name: String
    let groupResources: Set<String>

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }

    /// - Parameter clusterScoped: true for ClusterRoleBindings, false for RoleBindings.
    package init(clusterScoped: Bool) {
        name = clusterScoped ? "velero.io/cluster-role-bindings" : "velero.io/role-bindings"
        groupResources = [
            clusterScoped ? "clusterrolebindings.rbac.authorization.k8s.io" : "rolebindings.rbac.authorization.k8s.io"
        ]
    }

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        guard !context.namespaceMapping.isEmpty, var subjects = input.item["subjects"]?.arrayValue else {
            return RestoreItemActionOutput(item: input.item)
        }
        for index in subjects.indices {
            let namespace = subjects[index]["namespace"]?.stringValue ?? ""
            if let target = context.namespaceMapping[namespace] { subjects[index]["namespace"] = .string(target) }
        }
        var item = input.item
        item["subjects"] = .array(subjects)
        return RestoreItemActionOutput(item: item)
    }
}

/// `velero.io/apiservice`: APIServices labelled `kube-aggregator.kubernetes.io/automanaged` are managed
/// by the API server itself and are not restored.
package struct APIServiceRestoreAction: RestoreItemAction {
    package let name = "velero.io/apiservice"
    static let automanagedLabel = "kube-aggregator.kubernetes.io/automanaged"

    package init() {}

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResource == "apiservices.apiregistration.k8s.io"
            && item[path: ["metadata", "labels", Self.automanagedLabel]] != nil
    }

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        var output = RestoreItemActionOutput(item: input.item)
        output.skipRestore = true
        output.skipReason = "the APIService is managed by Kubernetes (\(name))"
        return output
    }
}

/// `velero.io/admission-webhook-configuration`: in `admissionregistration.k8s.io/v1` webhook
/// configurations, every webhook whose `sideEffects` is not `None` or `NoneOnDryRun` (e.g. the v1beta1
/// values `Unknown`, `Some`) gets `None`.
package struct AdmissionWebhookConfigurationRestoreAction: RestoreItemAction {
    package let name = "velero.io/admission-webhook-configuration"
    let groupResources: Set<String> = [
        "mutatingwebhookconfigurations.admissionregistration.k8s.io",
        "validatingwebhookconfigurations.admissionregistration.k8s.io",
    ]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        guard input.item["apiVersion"]?.stringValue == "admissionregistration.k8s.io/v1",
            var webhooks = input.item["webhooks"]?.arrayValue
        else { return RestoreItemActionOutput(item: input.item) }
        for index in webhooks.indices {
            let sideEffects = webhooks[index]["sideEffects"]?.stringValue ?? ""
            if sideEffects != "None" && sideEffects != "NoneOnDryRun" { webhooks[index]["sideEffects"] = "None" }
        }
        var item = input.item
        item["webhooks"] = .array(webhooks)
        return RestoreItemActionOutput(item: item)
    }
}

/// `velero.io/dataupload`: a backed-up DataUpload is never created. Velero turns it into a
/// DataUploadResult ConfigMap for its CSI data-mover restore; Lifeboat does not restore volume data
/// this way yet, so the item is skipped with a warning.
package struct DataUploadRestoreAction: RestoreItemAction {
    package let name = "velero.io/dataupload"
    let groupResources: Set<String> = ["datauploads.velero.io"]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        var output = RestoreItemActionOutput(item: input.item)
        output.skipRestore = true
        output.skipReason = "DataUploads are not restored (\(name))"
        output.warnings = [
            "DataUpload \(RestoreObjectFields.namespace(input.item))/\(RestoreObjectFields.name(input.item)) "
                + "skipped: its volume data is not restored by this restore (no DataUploadResult ConfigMap created)"
        ]
        return output
    }
}
