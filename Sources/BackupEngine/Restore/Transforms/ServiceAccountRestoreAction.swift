package import Kubernetes

/// `velero.io/service-account`: drops the auto-generated token secret (the last entry of `secrets`
/// named `<serviceaccount>-token-*`) so the target cluster's token controller can create its own.
package struct ServiceAccountRestoreAction: RestoreItemAction {
    package let name = "velero.io/service-account"
    let groupResources: Set<String> = ["serviceaccounts"]

    package func applies(to groupResource: String, item: JSONValue) -> Bool {
        groupResources.contains(groupResource)
    }

    package init() {}

    package func execute(
        _ input: RestoreItemActionInput,
        context: RestoreActionContext
    ) throws -> RestoreItemActionOutput {
        RestoreItemActionOutput(item: Self.removingTokenSecret(input.item))
    }

    /// The service account without its last `<name>-token-*` secret reference (Velero removes one).
    static func removingTokenSecret(_ serviceAccount: JSONValue) -> JSONValue {
        guard var secrets = serviceAccount["secrets"]?.arrayValue else { return serviceAccount }
        let prefix = RestoreObjectFields.name(serviceAccount) + "-token-"
        guard let index = secrets.lastIndex(where: { ($0["name"]?.stringValue ?? "").hasPrefix(prefix) }) else {
            return serviceAccount
        }
        secrets.remove(at: index)
        var result = serviceAccount
        result["secrets"] = .array(secrets)
        return result
    }

    /// The desired state of a service account that already exists (`mergeServiceAccounts`): the
    /// in-cluster object plus the backed-up `secrets` (token secret excluded) and `imagePullSecrets`
    /// it lacks (compared by name), and the backed-up labels and annotations whose keys it lacks
    /// (in-cluster values win).
    ///
    /// - Parameters:
    ///   - existing: the in-cluster service account, already normalized (see ``ExistingObjectComparison``).
    ///   - backedUp: the service account about to be restored.
    package static func mergeServiceAccount(existing: JSONValue, backedUp: JSONValue) -> JSONValue {
        let backup = removingTokenSecret(backedUp)
        var desired = existing
        for field in ["secrets", "imagePullSecrets"] {
            let additions = backup[field]?.arrayValue ?? []
            guard !additions.isEmpty else { continue }
            var merged = desired[field]?.arrayValue ?? []
            for entry in additions {
                let name = entry["name"]?.stringValue ?? ""
                if !merged.contains(where: { ($0["name"]?.stringValue ?? "") == name }) { merged.append(entry) }
            }
            desired[field] = .array(merged)
        }
        for field in ["labels", "annotations"] {
            let additions = backup[path: ["metadata", field]]?.objectValue ?? [:]
            guard !additions.isEmpty else { continue }
            var merged = desired[path: ["metadata", field]]?.objectValue ?? [:]
            for (key, value) in additions where merged[key] == nil { merged[key] = value }
            desired[path: ["metadata", field]] = .object(merged)
        }
        return desired
    }
}
