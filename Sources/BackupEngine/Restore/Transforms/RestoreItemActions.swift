package import Kubernetes

/// The built-in restore item actions and the loop that runs them on one item.
///
/// ```swift
/// let reset = try RestoreMetadata.resetMetadataAndStatus(backedUp)
/// let out = try RestoreItemActions.run(groupResource: "pods", item: reset, itemFromBackup: backedUp, context: ctx)
/// if out.skipRestore { ... } else { restore out.additionalItems first, then create out.item }
/// ```
package enum RestoreItemActions {
    /// Velero's built-in actions that need no cluster access beyond what ``RestoreActionContext`` carries,
    /// in Velero's registration order.
    package static let builtIn: [any RestoreItemAction] = [
        JobRestoreAction(),
        PodRestoreAction(),
        PodVolumeRestoreAction(),
        ServiceRestoreAction(),
        ServiceAccountRestoreAction(),
        AddPVCFromPodRestoreAction(),
        ChangeStorageClassRestoreAction(),
        RoleBindingRestoreAction(clusterScoped: false),
        RoleBindingRestoreAction(clusterScoped: true),
        ChangeImageNameRestoreAction(),
        APIServiceRestoreAction(),
        AdmissionWebhookConfigurationRestoreAction(),
        PVCRestoreAction(),
        DataUploadRestoreAction(),
    ]

    /// Runs the applicable actions in order, each on the previous one's output. Additional items are
    /// collected in order without duplicates; the first action that discards the item stops the loop.
    ///
    /// - Throws: the first action's ``BackupEngineError``; the message names the action and the item.
    package static func run(
        groupResource: String,
        item: JSONValue,
        itemFromBackup: JSONValue,
        context: RestoreActionContext,
        actions: [any RestoreItemAction] = builtIn
    ) throws -> RestoreItemActionOutput {
        var output = RestoreItemActionOutput(item: item)
        for action in actions where action.applies(to: groupResource, item: output.item) {
            let input = RestoreItemActionInput(
                groupResource: groupResource,
                item: output.item,
                itemFromBackup: itemFromBackup
            )
            let result: RestoreItemActionOutput
            do {
                result = try action.execute(input, context: context)
            } catch let error as BackupEngineError {
                throw BackupEngineError(
                    code: error.code,
                    message:
                        "error preparing \(describe(groupResource, item)) (action \(action.name)): \(error.message)",
                    cause: error.cause
                )
            }
            output.actionsRun.append(action.name)
            output.item = result.item
            output.warnings.append(contentsOf: result.warnings)
            for reference in result.additionalItems where !output.additionalItems.contains(reference) {
                output.additionalItems.append(reference)
            }
            if result.skipRestore {
                output.skipRestore = true
                output.skipReason = result.skipReason ?? "discarded by \(action.name)"
                break
            }
        }
        return output
    }

    static func describe(_ groupResource: String, _ item: JSONValue) -> String {
        let namespace = RestoreObjectFields.namespace(item)
        let name = RestoreObjectFields.name(item)
        return namespace.isEmpty ? "\(groupResource)/\(name)" : "\(groupResource)/\(namespace)/\(name)"
    }
}
