import AsyncAlgorithms
import Kubernetes
import Logging
import NIOCore
import VeleroAPI

/// Lists every included object, applies Velero's per-item checks and item actions, and writes the
/// tarball. Several resource types are listed at once, each at most one page ahead of the writer,
/// so the API round trips overlap with encoding and compression while the archive order stays fixed.
struct ItemCollector: Sendable {
    struct Outcome: Sendable {
        var items: BackedUpItems
        var results: Results
        /// The pre hooks' (and inline post hooks') counts.
        var hooks = HookPhaseOutcome.none
        /// The backed-up PVs by name.
        var persistentVolumes: [String: BackedUpVolume] = [:]
    }

    let client: KubeClient
    let plan: BackupPlan
    let backupName: String
    let pageSize: Int
    let log: RunLog
    let progress: (@Sendable (BackupProgress) -> Void)?
    let progressInterval: Duration
    let logger: Logger
    /// Which pod volumes get a file-system backup.
    var selection = PodVolumeSelection(defaultVolumesToFsBackup: false)
    /// Creates and follows the PodVolumeBackups (nil: file-system backup is not available in this run).
    var podVolumes: PodVolumeBackupper?
    /// Runs the pods' backup hooks (nil: none).
    var hooks: (any BackupHookRunning)?

    /// One page of a list, with the resource it belongs to.
    struct Page: Sendable {
        var resource: APIResource
        var items: [KubeObject]
    }

    func collect(
        into channel: AsyncThrowingChannel<ByteBuffer, any Error>,
        modificationTime: Int
    ) async throws -> Outcome {
        let pages = AsyncThrowingChannel<Page, any Error>()
        return try await withThrowingTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    try await listAll(into: pages)
                    pages.finish()
                } catch {
                    pages.fail(error)
                    throw error
                }
                return nil
            }
            group.addTask {
                var state = try State(modificationTime: modificationTime)
                for try await page in pages {
                    if page.resource.groupResource == "pods" {
                        state.preHookOutcomes = await runPreHooks(of: page, state: state)
                    }
                    for item in page.items {
                        try await backUp(
                            item,
                            resource: page.resource,
                            additional: false,
                            state: &state,
                            channel: channel
                        )
                    }
                    await runPendingPostHooks(state: &state)
                    state.seen += page.items.count
                    reportProgress(&state, resource: page.resource.groupResource)
                }
                try await finishNamespacesAndCRDs(state: &state, channel: channel)
                await runPendingPostHooks(state: &state)
                let last = try state.writer.finish()
                if !last.isEmpty { await channel.send(ByteBuffer(bytes: last)) }
                reportProgress(&state, resource: "", force: true)
                return Outcome(
                    items: state.items,
                    results: state.results,
                    hooks: state.hooks,
                    persistentVolumes: state.persistentVolumes
                )
            }
            var outcome: Outcome?
            for try await value in group where value != nil { outcome = value }
            guard let outcome else {
                throw BackupEngineError(code: .internal, message: "item collection produced no outcome")
            }
            return outcome
        }
    }

    // MARK: - listing

    /// How many resource types are listed at once. Each runs ahead by at most one page (it waits on its
    /// channel until the writer reaches it), so memory stays bounded and the archive order stays
    /// deterministic: resources are written in Velero's order whatever order the lists finish in.
    static let listConcurrency = 4

    private func listAll(into pages: AsyncThrowingChannel<Page, any Error>) async throws {
        // Namespaces are decided at the end (Velero keeps those with items or matching the filters).
        let resources = plan.resources.filter {
            $0.groupResource != "namespaces"
                && plan.resourceFilter.shouldInclude($0.groupResource, namespaced: $0.namespaced)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var channels: [AsyncThrowingChannel<Page, any Error>] = []
            var started = 0
            while started < min(Self.listConcurrency, resources.count) {
                let channel = AsyncThrowingChannel<Page, any Error>()
                let resource = resources[started]
                channels.append(channel)
                group.addTask { try await listResource(resource, into: channel) }
                started += 1
            }
            for index in resources.indices {
                for try await page in channels[index] { await pages.send(page) }
                if started < resources.count {
                    let channel = AsyncThrowingChannel<Page, any Error>()
                    let resource = resources[started]
                    channels.append(channel)
                    group.addTask { try await listResource(resource, into: channel) }
                    started += 1
                }
            }
            try await group.waitForAll()
        }
    }

    /// Lists one resource type (per namespace and per OR selector as needed) into its channel.
    private func listResource(_ resource: APIResource, into channel: AsyncThrowingChannel<Page, any Error>) async throws
    {
        do {
            let selectors: [LabelSelector?] =
                plan.orLabelSelectors.isEmpty ? [plan.labelSelector] : plan.orLabelSelectors
            let scopes: [String?]
            if !resource.namespaced || plan.namespaces.includes.isEmpty || plan.namespaces.includes.contains("*") {
                scopes = [nil]
            } else {
                scopes = plan.includedNamespaces.map { $0 }
            }
            // Velero's orderedResources: the named items of this type go first, in the given order.
            let ordered = plan.orderedResources[resource.groupResource]
            var held: [KubeObject] = []
            for selector in selectors {
                for namespace in scopes {
                    let options = ListOptions(labelSelector: selector, limit: pageSize)
                    for try await page in client.listPages(resource.gvr, namespace: namespace, options: options) {
                        if ordered != nil {
                            held += page.items
                        } else {
                            await channel.send(Page(resource: resource, items: page.items))
                        }
                    }
                }
            }
            if let ordered {
                func key(_ object: KubeObject) -> String {
                    object.namespace.map { "\($0)/\(object.name ?? "")" } ?? (object.name ?? "")
                }
                let position = Dictionary(
                    ordered.enumerated().map { ($1, $0) },
                    uniquingKeysWith: { first, _ in first }
                )
                let first = held.filter { position[key($0)] != nil }.sorted {
                    (position[key($0)] ?? 0) < (position[key($1)] ?? 0)
                }
                let rest = held.filter { position[key($0)] == nil }
                await channel.send(Page(resource: resource, items: first + rest))
            }
            channel.finish()
        } catch {
            channel.fail(error)
            throw error
        }
    }

    // MARK: - one item

    /// Mutable state of the processing task (never shared).
    struct State {
        var writer: BackupTarballWriter
        var items = BackedUpItems()
        var results = Results()
        var seen = 0
        var lastProgress = ContinuousClock.now
        var namespacesWithItems: Set<String> = []
        var customResourceGroups: [String] = []
        var clusterRoleBindings: [KubeObject]?
        /// Claims (`namespace/name`) a PodVolumeBackup already takes.
        var takenClaims: Set<String> = []
        var hooks = HookPhaseOutcome.none
        var persistentVolumes: [String: BackedUpVolume] = [:]
        /// The pre hook outcomes of the current page's pods (run together before the page is written), by
        /// `namespace/name`; a pod not found here runs its pre hooks when it is reached.
        var preHookOutcomes: [String: HookPhaseOutcome] = [:]
        /// Pods written without PodVolumeBackups whose post hooks run together once their page is written.
        var pendingPostHooks: [KubeObject] = []

        init(modificationTime: Int) throws {
            writer = try BackupTarballWriter(modificationTime: modificationTime)
        }
    }

    private func backUp(
        _ object: KubeObject,
        resource: APIResource,
        additional: Bool,
        state: inout State,
        channel: AsyncThrowingChannel<ByteBuffer, any Error>
    ) async throws {
        let groupResource = resource.groupResource
        guard let name = object.name else { return }
        let namespace = resource.namespaced ? object.namespace : nil
        let reference = ItemReference(groupResource: groupResource, namespace: namespace, name: name)
        guard !state.items.contains(reference),
            passesInclusionChecks(object, resource: resource, additional: additional, logged: true)
        else { return }

        // Built-in item actions.
        var item = object
        var extra: [ItemReference] = []
        var podVolumeBackups: [String]?
        switch groupResource {
        case "pods":
            podVolumeBackups = try await startPod(item, state: &state)
            guard podVolumeBackups != nil else {
                // A pre hook aborted the pod: Velero marks it backed up and moves on (nothing of it is written).
                state.items.insert(reference, apiVersion: resource.groupVersion, kind: resource.kind)
                return
            }
            extra = BackupItemActions.podAdditionalItems(item)
        case "persistentvolumes":
            state.persistentVolumes[name] = Self.backedUpVolume(item)
        case "persistentvolumeclaims":
            (item, extra) = BackupItemActions.persistentVolumeClaim(item, backupName: backupName)
        case "serviceaccounts":
            if state.clusterRoleBindings == nil { state.clusterRoleBindings = try await listClusterRoleBindings() }
            extra = BackupItemActions.serviceAccountAdditionalItems(
                item,
                clusterRoleBindings: state.clusterRoleBindings ?? []
            )
        default:
            break
        }
        state.items.insert(reference, apiVersion: resource.groupVersion, kind: resource.kind)

        // Write the item: the legacy path and the preferred-version copy, side by side.
        let bytes = item.encoded()
        if let chunk = try state.writer.append(
            path: TarballPaths.item(groupResource: groupResource, namespace: namespace, name: name),
            contents: bytes
        ) {
            await channel.send(ByteBuffer(bytes: chunk))
        }
        let copy = TarballPaths.preferredVersionItem(
            groupResource: groupResource,
            version: resource.version,
            namespace: namespace,
            name: name
        )
        if let chunk = try state.writer.append(path: copy, contents: bytes) {
            await channel.send(ByteBuffer(bytes: chunk))
        }
        if let namespace { state.namespacesWithItems.insert(namespace) }
        if !resource.group.isEmpty && !BuiltInGroups.contains(resource.group)
            && !state.customResourceGroups.contains(groupResource)
        {
            state.customResourceGroups.append(groupResource)
        }

        for reference in extra {
            try await backUpAdditional(reference, state: &state, channel: channel)
        }
        if let podVolumeBackups { await finishPod(item, backups: podVolumeBackups, state: &state) }
    }

    /// Velero's itemInclusionChecks (the exclude label, the namespace and resource filters, items being deleted);
    /// `logged` writes why an item is left out.
    func passesInclusionChecks(
        _ object: KubeObject,
        resource: APIResource,
        additional: Bool,
        logged: Bool
    ) -> Bool {
        let groupResource = resource.groupResource
        let name = object.name ?? ""
        let namespace = resource.namespaced ? object.namespace : nil
        if object.labels[VeleroLabels.excludeFromBackup] == "true" {
            if logged {
                log.info(
                    "Excluding item because it has label velero.io/exclude-from-backup=true",
                    fields: [("resource", groupResource), ("name", name)]
                )
            }
            return false
        }
        if let namespace, !plan.namespaces.shouldInclude(namespace) { return false }
        if resource.namespaced {
            if !plan.resourceFilter.shouldInclude(groupResource, namespaced: true) { return false }
        } else if additional && groupResource != "namespaces"
            && plan.resourceFilter.explicitlyExcludesClusterScoped(groupResource)
        {
            return false
        }
        if object.deletionTimestamp != nil {
            if logged {
                log.info(
                    "Skipping item because it's being deleted.",
                    fields: [("resource", groupResource), ("name", name)]
                )
            }
            return false
        }
        return true
    }

    private func backUpAdditional(
        _ reference: ItemReference,
        state: inout State,
        channel: AsyncThrowingChannel<ByteBuffer, any Error>
    ) async throws {
        guard !state.items.contains(reference) else { return }
        guard let resource = plan.resourcesByGroupResource[reference.groupResource] else {
            log.warning(
                "Additional item's resource type is not served by the cluster",
                fields: [("item", reference.description)]
            )
            return
        }
        do {
            let object = try await client.get(resource.gvr, namespace: reference.namespace, name: reference.name)
            try await backUp(object, resource: resource, additional: true, state: &state, channel: channel)
        } catch let error as KubeError where error.code == .notFound {
            log.info(
                "Additional item was not found in Kubernetes API, can't back it up",
                fields: [("item", reference.description)]
            )
        } catch let error as KubeError {
            state.results.errors.add(namespace: reference.namespace, "error getting \(reference): \(error)")
            log.error(
                "Error getting additional item",
                fields: [("item", reference.description), ("error", "\(error)")]
            )
        }
    }

    private func listClusterRoleBindings() async throws -> [KubeObject] {
        guard let resource = plan.resourcesByGroupResource["clusterrolebindings.rbac.authorization.k8s.io"] else {
            return []
        }
        var bindings: [KubeObject] = []
        for try await binding in client.listObjects(resource.gvr, options: ListOptions(limit: pageSize)) {
            bindings.append(binding)
        }
        return bindings
    }

    // MARK: - namespaces and CRDs

    private func finishNamespacesAndCRDs(
        state: inout State,
        channel: AsyncThrowingChannel<ByteBuffer, any Error>
    ) async throws {
        if let namespaces = plan.resourcesByGroupResource["namespaces"],
            plan.resourceFilter.shouldInclude("namespaces", namespaced: false)
        {
            let selectorsSet = plan.labelSelector != nil || !plan.orLabelSelectors.isEmpty
            let filterIsEverything = plan.namespaces.includes.isEmpty || plan.namespaces.includes == ["*"]
            for try await ns in client.listObjects(namespaces.gvr, options: ListOptions(limit: pageSize)) {
                guard let name = ns.name, (ns["status"]?["phase"]?.stringValue ?? "Active") == "Active" else {
                    continue
                }
                let matchesSelectors =
                    selectorsSet
                    && (plan.labelSelector.map { $0.matches(ns.labels) } ?? false
                        || plan.orLabelSelectors.contains { $0.matches(ns.labels) })
                let matchesFilter = plan.namespaces.shouldInclude(name) && !(filterIsEverything && selectorsSet)
                guard matchesSelectors || matchesFilter || state.namespacesWithItems.contains(name) else { continue }
                try await backUp(ns, resource: namespaces, additional: true, state: &state, channel: channel)
            }
        }
        // Velero's backupCRD: the CRDs of backed-up custom resources are added unless the CRD type is excluded,
        // or already included (then every CRD was listed as a resource of its own).
        guard let crds = plan.resourcesByGroupResource["customresourcedefinitions.apiextensions.k8s.io"],
            !plan.resourceFilter.explicitlyExcludesClusterScoped(crds.groupResource),
            !plan.resourceFilter.shouldInclude(crds.groupResource, namespaced: false)
        else { return }
        for groupResource in state.customResourceGroups where groupResource != crds.groupResource {
            let reference = ItemReference(groupResource: crds.groupResource, namespace: nil, name: groupResource)
            try await backUpAdditional(reference, state: &state, channel: channel)
        }
    }

    private func reportProgress(_ state: inout State, resource: String, force: Bool = false) {
        guard let progress else { return }
        let now = ContinuousClock.now
        guard force || now - state.lastProgress >= progressInterval else { return }
        state.lastProgress = now
        progress(
            BackupProgress(
                itemsBackedUp: state.items.count,
                totalItems: max(state.seen, state.items.count),
                currentResource: resource
            )
        )
    }
}

/// API groups that belong to Kubernetes itself (their resources are not custom resources).
enum BuiltInGroups {
    static let names: Set<String> = [
        "apps", "batch", "autoscaling", "policy", "extensions", "networking.k8s.io", "rbac.authorization.k8s.io",
        "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "apiextensions.k8s.io",
        "admissionregistration.k8s.io",
        "apiregistration.k8s.io", "certificates.k8s.io", "discovery.k8s.io", "events.k8s.io", "node.k8s.io",
        "flowcontrol.apiserver.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "resource.k8s.io",
        "internal.apiserver.k8s.io", "storagemigration.k8s.io",
    ]
    static func contains(_ group: String) -> Bool { names.contains(group) }
}
