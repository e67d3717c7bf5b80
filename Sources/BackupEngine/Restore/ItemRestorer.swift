import Foundation
import Kubernetes
import VeleroAPI

/// Restores one backed-up item through Velero's steps: skip rules, volume binding resets, metadata
/// and status reset, restore item actions (their additional items first), resource modifiers,
/// namespace mapping and restore labels, then create — or compare with what exists — and status.
struct ItemRestorer: Sendable {
    let client: KubeClient
    let configuration: RestoreRunner.Configuration
    let restoreName: String
    let backupName: String
    let policy: ExistingObjectComparison.Policy
    let contents: BackupContents
    let selection: RestoreSelection
    let inputs: RestoreInputs
    let context: RestoreActionContext
    let statusFilter: IncludesExcludes?
    let dynamicallyProvisioned: Set<String>
    /// Persistent volumes whose data a pod volume restore brings back into a newly provisioned volume.
    let podVolumeProvisioned: Set<String>
    /// Creates the PodVolumeRestores of restored pods.
    let podVolumes: PodVolumeRestorer?
    let discovery: Locked<APIDiscovery>
    let ledger: RestoreLedger
    /// Namespaces the dry run found to exist or not (see `namespaceExists`).
    let namespacesSeen = Locked<[String: Bool]>([:])
    let log: RunLog
    // Hooks (issue 21): init-container hooks for pods before they are created; created pods start exec hooks.
    var podHooks: RestorePodHooks? = nil

    typealias Outcome = RestoreExecutor.Outcome

    private var dryRun: Bool { configuration.dryRun }

    // MARK: - one item

    func restore(groupResource: String, item: BackupContents.Item, additional: Bool) async -> Outcome {
        guard await ledger.claim(item.ordinal) else { return Outcome() }
        let outcome = await restoreClaimed(groupResource: groupResource, item: item, additional: additional)
        await ledger.finish(item.ordinal)
        return outcome
    }

    private func restoreClaimed(groupResource: String, item: BackupContents.Item, additional: Bool) async -> Outcome {
        var outcome = Outcome()
        let targetNamespace = selection.target(item.namespace)
        var entry = RestoreReport.Entry(
            action: .create,
            groupResource: groupResource,
            namespace: item.namespace,
            targetNamespace: targetNamespace,
            name: item.name
        )
        func fail(_ message: String) -> Outcome {
            entry.action = .error
            entry.reason = message
            outcome.results.errors.add(namespace: targetNamespace, message)
            log.error(message, fields: [("resource", groupResource), ("name", entry.displayName)])
            outcome.entries.append(entry)
            return outcome
        }
        func exclude(_ reason: String) -> Outcome {
            entry.action = .excluded
            entry.reason = reason
            outcome.entries.append(entry)
            return outcome
        }

        let backedUp: JSONValue
        do {
            backedUp = try JSONValue(parsing: try contents.bytes(of: item))
        } catch {
            return fail("error decoding \(item.path): \(error)")
        }
        entry.apiVersion = backedUp["apiVersion"]?.stringValue
        entry.kind = backedUp["kind"]?.stringValue
        if let reason = selection.exclusionReason(
            groupResource: groupResource,
            item: item,
            object: backedUp,
            additional: additional
        ) {
            return exclude(reason)
        }
        if let reason = RestoreMetadata.skipReason(groupResource: groupResource, object: backedUp) {
            return exclude("not restored: \(reason)")
        }

        // Persistent volumes: without volume data, a PV whose reclaim policy is Delete is re-provisioned.
        var object = backedUp
        if groupResource == "persistentvolumes" {
            if podVolumeProvisioned.contains(item.name) {
                return exclude(
                    "persistent volume has a pod volume backup: it is provisioned again for its claim and its data restored by a pod volume restore"
                )
            }
            if dynamicallyProvisioned.contains(item.name) {
                return exclude(
                    "persistent volume has reclaim policy Delete and no volume data in the backup: it is provisioned again for its claim"
                )
            }
            object = VolumeBinding.remapClaimRefNamespace(object, namespaceMapping: selection.namespaceMapping).object
            object = VolumeBinding.resetVolumeBindingInfo(object)
        }

        // Metadata and status reset; keep the backed-up status for a status restore.
        let backedUpStatus = backedUp["status"]
        do {
            object = try RestoreMetadata.resetMetadataAndStatus(object)
        } catch {
            return fail("\(error)")
        }

        // Restore item actions; their additional items are restored (and waited on) first.
        let actionOutput: RestoreItemActionOutput
        do {
            actionOutput = try RestoreItemActions.run(
                groupResource: groupResource,
                item: object,
                itemFromBackup: backedUp,
                context: context
            )
        } catch {
            return fail("\(error)")
        }
        for warning in actionOutput.warnings { outcome.results.warnings.add(namespace: targetNamespace, warning) }
        if actionOutput.skipRestore {
            return exclude(actionOutput.skipReason ?? "skipped by a restore item action")
        }
        object = actionOutput.item
        for reference in actionOutput.additionalItems {
            let namespace = reference.namespace.isEmpty ? nil : reference.namespace
            if let additionalItem = contents.item(reference.groupResource, namespace: namespace, name: reference.name) {
                outcome.merge(
                    await restore(groupResource: reference.groupResource, item: additionalItem, additional: true)
                )
            }
        }
        if groupResource == "persistentvolumeclaims" {
            object = VolumeBinding.resetClaimBinding(object, dynamicallyProvisioned: dynamicallyProvisioned)
        }

        // Resource modifiers (on the backed-up namespace), then mapping and labels.
        if let modifiers = inputs.modifiers {
            let result = modifiers.apply(to: object, groupResource: groupResource)
            object = result.object
            for error in result.errors { outcome.results.errors.add(namespace: targetNamespace, "\(error)") }
        }
        if let targetNamespace { object[path: ["metadata", "namespace"]] = .string(targetNamespace) }
        object = RestoreMetadata.addRestoreLabels(object, restoreName: restoreName, backupName: backupName)
        // Hooks (issue 21): Velero's init-container restore hooks.
        if groupResource == "pods", let podHooks {
            do {
                object = try RestoreInitHooks.apply(to: object, spec: podHooks.spec, log: log)
            } catch {
                return fail("\(error)")
            }
        }

        // Where it goes.
        guard let resource = resolve(groupResource: groupResource, apiVersion: entry.apiVersion) else {
            if dryRun, contents.item(RestoreExecutor.crds, namespace: nil, name: groupResource) != nil {
                entry.reason = "its CustomResourceDefinition is restored first; not validated by the server"
                outcome.entries.append(entry)
                return outcome
            }
            return fail(
                "the cluster does not serve \(groupResource) \(entry.apiVersion ?? "") (its CustomResourceDefinition is neither in the cluster nor in the backup)"
            )
        }
        guard let desired = KubeObject(object) else { return fail("\(item.path) is not a JSON object") }

        // Create, or compare with what exists.
        do {
            if dryRun, let targetNamespace, resource.namespaced, !(await namespaceExists(targetNamespace)) {
                if groupResource == "serviceaccounts" && item.name == "default" {
                    // The cluster creates the default ServiceAccount with every namespace; the restore finds it.
                    entry.action = .skip
                    entry.reason = "created by the cluster with namespace \(targetNamespace)"
                    outcome.entries.append(entry)
                    return outcome
                }
                entry.reason = "namespace \(targetNamespace) is created by the restore; not validated by the server"
                outcome.entries.append(entry)
                await startPodVolumeRestores(groupResource: groupResource, item: item, pod: desired, outcome: &outcome)
                return outcome
            }
            let created = try await client.create(
                resource.gvr,
                namespace: targetNamespace,
                desired,
                options: WriteOptions(dryRun: dryRun)
            )
            entry.action = .create
            log.info("Restored \(entry.kind ?? groupResource) \(entry.displayName)")
            // The created pod (with its UID) in a real run, the pod as it would be created in a dry run.
            await startPodVolumeRestores(
                groupResource: groupResource,
                item: item,
                pod: dryRun ? desired : created,
                outcome: &outcome
            )
            // Hooks (issue 21): the created pod's post-restore exec hooks wait for its containers.
            if groupResource == "pods", !dryRun, let podHooks { podHooks.created(created) }
            if !dryRun, let backedUpStatus,
                RestoreMetadata.shouldRestoreStatus(
                    groupResource: groupResource,
                    object: backedUp,
                    restoreStatus: statusFilter
                )
            {
                if let problem = await restoreStatus(created, status: backedUpStatus, resource: resource) {
                    outcome.results.warnings.add(namespace: targetNamespace, problem)
                }
            }
            if !dryRun, let problem = await restoreManagedFields(of: desired, resource: resource) {
                switch problem {
                case .warning(let text): outcome.results.warnings.add(namespace: targetNamespace, text)
                case .error(let text): outcome.results.errors.add(namespace: targetNamespace, text)
                }
            }
        } catch let error as KubeError where error.code == .alreadyExists {
            do {
                try await handleExisting(desired: desired, resource: resource, entry: &entry, outcome: &outcome)
            } catch {
                return fail("error restoring \(entry.kind ?? groupResource) \(entry.displayName): \(error)")
            }
        } catch {
            return fail("error restoring \(entry.kind ?? groupResource) \(entry.displayName): \(error)")
        }
        outcome.entries.append(entry)
        return outcome
    }

    /// Hands a created pod to the pod volume restorer (Velero's `restorePodVolumeBackups`).
    private func startPodVolumeRestores(
        groupResource: String,
        item: BackupContents.Item,
        pod: KubeObject,
        outcome: inout Outcome
    ) async {
        guard groupResource == "pods", let podVolumes, let sourceNamespace = item.namespace else { return }
        for error in await podVolumes.podCreated(pod, sourceNamespace: sourceNamespace) {
            outcome.results.errors.addVelero(error)
        }
    }

    /// The object exists: skip, patch (policy update / ServiceAccount merge) or warn.
    private func handleExisting(
        desired: KubeObject,
        resource: APIResource,
        entry: inout RestoreReport.Entry,
        outcome: inout Outcome
    ) async throws {
        let namespace = resource.namespaced ? desired.namespace : nil
        let live = try await client.get(resource.gvr, namespace: namespace, name: desired.name ?? "")
        let decision = try ExistingObjectComparison.decide(
            live: live.value,
            desired: desired.value,
            groupResource: resource.groupResource,
            policy: policy
        )
        let options = WriteOptions(dryRun: dryRun)
        switch decision {
        case .identical(let labelsPatch):
            entry.action = .skip
            entry.reason = "already exists and is identical to the backed-up version"
            if let labelsPatch {
                _ = try? await client.patch(
                    resource.gvr,
                    namespace: namespace,
                    name: desired.name ?? "",
                    .merge(labelsPatch),
                    options: options
                )
            }
        case .patch(let patch, let fallback):
            entry.action = .update
            let normalized =
                (try? ExistingObjectComparison.normalizedLive(live.value, desired: desired.value)) ?? live.value
            entry.changes = RestoreReport.changes(from: normalized, to: desired.value)
            do {
                _ = try await client.patch(
                    resource.gvr,
                    namespace: namespace,
                    name: desired.name ?? "",
                    .merge(patch),
                    options: options
                )
            } catch {
                let warning = "could not update \(entry.kind ?? resource.groupResource) \(entry.displayName): \(error)"
                outcome.results.warnings.add(namespace: namespace, warning)
                if let fallback {
                    _ = try? await client.patch(
                        resource.gvr,
                        namespace: namespace,
                        name: desired.name ?? "",
                        .merge(fallback),
                        options: options
                    )
                }
                entry.reason = warning
            }
        case .conflict(let warning):
            entry.action = .conflict
            entry.reason = warning
            let normalized =
                (try? ExistingObjectComparison.normalizedLive(live.value, desired: desired.value)) ?? live.value
            entry.changes = RestoreReport.changes(from: normalized, to: desired.value)
            outcome.results.warnings.add(namespace: namespace, warning)
            log.warning(warning)
        }
    }

    /// A problem putting the managed fields back.
    private enum ManagedFieldsProblem {
        case warning(String)
        case error(String)
    }

    /// Puts the backed-up object's managed fields back on the created one, as Velero does after create (the API
    /// server records the restore as the fields' manager; without this a second restore of the same backup finds
    /// every object different). Nothing is sent for an object backed up without managed fields.
    private func restoreManagedFields(of desired: KubeObject, resource: APIResource) async -> ManagedFieldsProblem? {
        guard let managed = desired.value["metadata"]?["managedFields"], !(managed.arrayValue ?? []).isEmpty else {
            return nil
        }
        let name = desired.name ?? ""
        do {
            _ = try await client.patch(
                resource.gvr,
                namespace: resource.namespaced ? desired.namespace : nil,
                name: name,
                .merge(["metadata": ["managedFields": managed]])
            )
            return nil
        } catch let error as KubeError where error.code == .notFound {
            return .warning(
                "item not found when patching managed fields \(desired.namespace.map { "\($0)/" } ?? "")\(name): \(error)"
            )
        } catch {
            return .error("error patch for managed fields \(desired.namespace.map { "\($0)/" } ?? "")\(name): \(error)")
        }
    }

    private func restoreStatus(_ created: KubeObject, status: JSONValue, resource: APIResource) async -> String? {
        var object = created
        for _ in 0..<3 {
            object.status = status
            do {
                _ = try await client.updateStatus(
                    resource.gvr,
                    namespace: resource.namespaced ? object.namespace : nil,
                    object
                )
                return nil
            } catch let error as KubeError where error.code == .conflict {
                if let fresh = try? await client.get(
                    resource.gvr,
                    namespace: resource.namespaced ? object.namespace : nil,
                    name: object.name ?? ""
                ) {
                    object = fresh
                }
            } catch {
                return "could not restore the status of \(resource.groupResource) \(object.name ?? ""): \(error)"
            }
        }
        return "could not restore the status of \(resource.groupResource) \(object.name ?? ""): conflicts"
    }

    /// The served resource for a backed-up group-resource at the item's version (or the preferred one).
    private func resolve(groupResource: String, apiVersion: String?) -> APIResource? {
        let discovery = self.discovery.withLock { $0 }
        let parts = groupResource.split(separator: ".", maxSplits: 1).map(String.init)
        let group = parts.count > 1 ? parts[1] : ""
        let version = apiVersion.map { $0.contains("/") ? String($0.split(separator: "/").last ?? "") : $0 } ?? ""
        let gvr = GroupVersionResource(group: group, version: version, resource: parts[0])
        if let served = discovery.resource(for: gvr) { return served }
        return discovery.preferredResources.first { $0.groupResource == groupResource }
    }

    // MARK: - namespaces and CRDs

    /// Whether a namespace exists (for the dry run, which creates none): asked once per namespace, not once per
    /// item, as the answer cannot change while the dry run changes nothing. An error other than NotFound is not
    /// kept, so the next item asks again.
    private func namespaceExists(_ name: String) async -> Bool {
        if let known = namespacesSeen.withLock({ $0[name] }) { return known }
        let exists: Bool
        do {
            _ = try await client.get(.namespaces, name: name)
            exists = true
        } catch let error as KubeError where error.code == .notFound {
            exists = false
        } catch {
            return false
        }
        namespacesSeen.withLock { $0[name] = exists }
        return exists
    }

    /// Creates the target namespaces of every selected namespaced item (from the backed-up Namespace
    /// objects, renamed by the mapping), waiting for Terminating ones to go away first.
    func ensureNamespaces() async -> Outcome {
        var outcome = Outcome()
        var needed: [String: String] = [:]  // target → source
        for (groupResource, items) in contents.itemsByGroupResource where groupResource != "namespaces" {
            for item in items {
                guard let source = item.namespace, let target = selection.target(source), needed[target] == nil else {
                    continue
                }
                let needsObject = selection.labelSelector != nil || !selection.orLabelSelectors.isEmpty
                let object = needsObject ? (try? contents.bytes(of: item)).flatMap { try? JSONValue(parsing: $0) } : nil
                if selection.exclusionReason(groupResource: groupResource, item: item, object: object) == nil {
                    needed[target] = source
                }
            }
        }
        for item in contents.items("namespaces") where selection.namespaces.shouldInclude(item.name) {
            if let target = selection.target(item.name), needed[target] == nil { needed[target] = item.name }
        }
        var awaitingServiceAccount: [String] = []
        for (target, source) in needed.sorted(by: { $0.key < $1.key }) {
            var entry = RestoreReport.Entry(
                action: .create,
                groupResource: "namespaces",
                apiVersion: "v1",
                kind: "Namespace",
                namespace: nil,
                targetNamespace: nil,
                name: target
            )
            do {
                if try await ensureNamespace(target: target, source: source) {
                    entry.action = .create
                    if !dryRun, contents.item("serviceaccounts", namespace: source, name: "default") != nil {
                        awaitingServiceAccount.append(target)
                    }
                } else {
                    entry.action = .skip
                    entry.reason = "namespace already exists"
                }
            } catch {
                entry.action = .error
                entry.reason = "error creating namespace \(target): \(error)"
                outcome.results.errors.add(namespace: target, entry.reason ?? "")
            }
            outcome.entries.append(entry)
        }
        if !awaitingServiceAccount.isEmpty {
            // All namespaces exist before the first wait, so the waits overlap with the controller's work.
            let limit: Duration =
                await clusterCreatesDefaultServiceAccounts() ? configuration.resourceTimeout : .seconds(2)
            for target in awaitingServiceAccount { await waitForDefaultServiceAccount(in: target, limit: limit) }
        }
        return outcome
    }

    /// - Returns: true when the namespace was (or, in a dry run, would be) created.
    private func ensureNamespace(target: String, source: String) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.terminatingTimeout
        while true {
            do {
                let live = try await client.get(.namespaces, name: target)
                guard live["status"]?["phase"]?.stringValue == "Terminating" || live.deletionTimestamp != nil else {
                    return false
                }
                if dryRun { return true }
                guard clock.now < deadline else {
                    throw BackupEngineError(
                        code: .cluster,
                        message: "namespace \(target) is still terminating after \(configuration.terminatingTimeout)"
                    )
                }
                try await Task.sleep(for: .milliseconds(250))
            } catch let error as KubeError where error.code == .notFound {
                break
            }
        }
        var namespace = KubeObject(apiVersion: "v1", kind: "Namespace", name: target)
        if let item = contents.item("namespaces", namespace: nil, name: source),
            let backedUp = (try? contents.bytes(of: item)).flatMap({ try? KubeObject(parsing: $0) })
        {
            if !backedUp.labels.isEmpty {
                var labels = backedUp.labels
                if labels["kubernetes.io/metadata.name"] != nil { labels["kubernetes.io/metadata.name"] = target }
                namespace.labels = labels
            }
            if !backedUp.annotations.isEmpty { namespace.annotations = backedUp.annotations }
            if let spec = backedUp["spec"] { namespace["spec"] = spec }
        }
        do {
            _ = try await client.create(.namespaces, namespace, options: WriteOptions(dryRun: dryRun))
            log.info("Created namespace \(target)")
            return true
        } catch let error as KubeError where error.code == .alreadyExists {
            return false
        }
    }

    private static let serviceAccounts = GroupVersionResource(group: "", version: "v1", resource: "serviceaccounts")

    /// Whether this cluster runs the controller that gives every namespace a `default` ServiceAccount (the
    /// system namespaces have theirs). Clusters without one (an API server alone) are not waited on.
    private func clusterCreatesDefaultServiceAccounts() async -> Bool {
        for namespace in ["default", "kube-system"] where await hasDefaultServiceAccount(namespace) { return true }
        return false
    }

    private func hasDefaultServiceAccount(_ namespace: String) async -> Bool {
        (try? await client.get(Self.serviceAccounts, namespace: namespace, name: "default")) != nil
    }

    /// The cluster creates a `default` ServiceAccount in every new namespace, asynchronously. Waiting for it
    /// makes the restore of the backed-up `default` account deterministic: it always finds the cluster's and
    /// merges into it, as the dry run predicts, instead of racing the controller. A busy cluster's controller
    /// can take many seconds, so where the controller runs the wait is bounded by the resource timeout.
    private func waitForDefaultServiceAccount(in namespace: String, limit: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            if await hasDefaultServiceAccount(namespace) { return }
            do { try await Task.sleep(for: .milliseconds(25)) } catch { return }  // cancelled
        }
        log.info("namespace \(namespace) has no default ServiceAccount after \(limit); restoring the backed-up one")
    }

    /// Waits until a restored CRD is Established; returns a problem message on timeout.
    func waitForCRD(_ name: String) async -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.resourceTimeout
        while clock.now < deadline {
            if let crd = try? await client.get(.customResourceDefinitions, name: name) {
                let conditions = crd["status"]?["conditions"]?.arrayValue ?? []
                let established = conditions.contains {
                    $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True"
                }
                if established { return nil }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return "CustomResourceDefinition \(name) did not become Established within \(configuration.resourceTimeout)"
    }
}
