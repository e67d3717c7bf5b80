package import Kubernetes

/// What to do when the object to restore already exists in the cluster (the `AlreadyExists` path of
/// Velero's `restoreItem`).
///
/// The in-cluster object is normalized like the backed-up one — server metadata and `status` removed
/// (``RestoreMetadata/resetMetadataAndStatus(_:)``) and the desired object's restore labels added — and
/// then compared structurally (member order ignored). ServiceAccounts are merged whatever the policy;
/// other kinds follow the existing-resource policy.
///
/// ```swift
/// switch try ExistingObjectComparison.decide(live: inCluster, desired: item, groupResource: gr, policy: .update) {
/// case .identical(let labelsPatch): ...   // patch only the labels when labelsPatch != nil
/// case .patch(let patch, let fallback): ... // merge patch; on failure apply fallback (labels only)
/// case .conflict(let warning): ...
/// }
/// ```
package enum ExistingObjectComparison {
    /// `spec.existingResourcePolicy`.
    package enum Policy: String, Sendable, Hashable {
        /// Unset: warn about differences (Velero formats `<Kind>:<name>`).
        case unset = ""
        /// `none`: warn about differences (Velero formats `<Kind> "<name>"`).
        case none
        /// `update`: merge-patch the in-cluster object to the backed-up state.
        case update
    }

    /// The decision for one existing object.
    package enum Decision: Sendable, Equatable {
        /// Identical after normalization; nothing to restore. With `update`, `labelsPatch` (if any) sets
        /// the restore labels on the live object.
        case identical(labelsPatch: JSONValue?)
        /// Apply `patch` (a JSON merge patch); if the API rejects it, apply `fallback` (labels only, may be
        /// nil) and record the failure as a warning. ServiceAccounts have no fallback.
        case patch(JSONValue, fallback: JSONValue?)
        /// The objects differ and the policy does not allow changing the live one: record `warning`.
        case conflict(warning: String)
    }

    /// The in-cluster object as Velero compares it: metadata and status reset, restore labels copied
    /// from `desired`.
    /// - Throws: ``BackupEngineError`` `.invalidObject` when the live object has no `metadata`.
    package static func normalizedLive(_ live: JSONValue, desired: JSONValue) throws -> JSONValue {
        let labels = RestoreObjectFields.labels(desired)
        return RestoreMetadata.addRestoreLabels(
            try RestoreMetadata.resetMetadataAndStatus(live),
            restoreName: labels[RestoreMetadata.restoreNameLabel] ?? "",
            backupName: labels[RestoreMetadata.backupNameLabel] ?? ""
        )
    }

    /// Whether the in-cluster object equals the one to restore (`desired`: metadata reset, actions,
    /// modifiers, namespace and restore labels applied).
    package static func isIdentical(live: JSONValue, desired: JSONValue) throws -> Bool {
        JSONSemantics.deepEqual(try normalizedLive(live, desired: desired), desired)
    }

    /// A JSON merge patch from `from` to `to`, or nil when they are already equal (`generatePatch`).
    package static func mergePatch(from: JSONValue, to: JSONValue) -> JSONValue? {
        if JSONSemantics.deepEqual(from, to) { return nil }
        let patch = JSONMergePatch.create(from: from, to: to)
        if let members = patch.objectValue, members.isEmpty { return nil }
        return patch
    }

    /// Velero's warning for an existing object that differs.
    package static func conflictWarning(kind: String, name: String, policy: Policy) -> String {
        let subject = policy == .none ? "\(kind) \"\(name)\"" : "\(kind):\(name)"
        return "could not restore, \(subject) already exists. "
            + "Warning: the in-cluster version is different than the backed-up version"
    }

    /// Decides what to do with an existing object.
    ///
    /// - Parameters:
    ///   - live: the object as read from the cluster.
    ///   - desired: the object Lifeboat tried to create.
    ///   - groupResource: canonical group-resource (ServiceAccounts are `serviceaccounts`).
    ///   - policy: the restore's existing-resource policy.
    package static func decide(
        live: JSONValue,
        desired: JSONValue,
        groupResource: String,
        policy: Policy
    ) throws -> Decision {
        let normalized = try normalizedLive(live, desired: desired)
        let labelsOnly = mergePatch(from: RestoreMetadata.blankRestoreLabels(normalized), to: normalized)
        if JSONSemantics.deepEqual(normalized, desired) {
            return .identical(labelsPatch: policy == .update ? labelsOnly : nil)
        }
        if groupResource == "serviceaccounts" {
            let merged = ServiceAccountRestoreAction.mergeServiceAccount(existing: normalized, backedUp: desired)
            guard let patch = mergePatch(from: normalized, to: merged) else { return .identical(labelsPatch: nil) }
            return .patch(patch, fallback: nil)
        }
        switch policy {
        case .unset, .none:
            return .conflict(
                warning: conflictWarning(
                    kind: RestoreObjectFields.kind(desired),
                    name: RestoreObjectFields.name(desired),
                    policy: policy
                )
            )
        case .update:
            let blanked = RestoreMetadata.blankRestoreLabels(normalized)
            guard let patch = mergePatch(from: blanked, to: desired) else { return .identical(labelsPatch: nil) }
            return .patch(patch, fallback: labelsOnly)
        }
    }
}
