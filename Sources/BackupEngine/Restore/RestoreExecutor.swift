import Foundation
import Kubernetes
import Logging
import VeleroAPI

/// Executes a restore level by level (Velero's priority order), creating the objects of one level
/// concurrently up to `parallelism`. Additional items that an object depends on are restored
/// first, once, whoever asks for them.
struct RestoreExecutor: Sendable {
    let client: KubeClient
    let configuration: RestoreRunner.Configuration
    let restoreName: String
    let backupName: String
    let spec: RestoreSpec
    let policy: ExistingObjectComparison.Policy
    let contents: BackupContents
    let selection: RestoreSelection
    let inputs: RestoreInputs
    /// Creates the PodVolumeRestores of restored pods; `nil` when no volume data is restored.
    let podVolumes: PodVolumeRestorer?
    /// What `velero.io/pod-volume-restore` needs (set with `podVolumes`).
    let podVolumeContext: PodVolumeRestoreContext?
    let log: RunLog
    let logger: Logger
    // Hooks (issue 21): passed to each item's restore.
    var podHooks: RestorePodHooks? = nil

    /// What restoring one item produced.
    struct Outcome: Sendable {
        var entries: [RestoreReport.Entry] = []
        var results = Results()
    }

    static let crds = "customresourcedefinitions.apiextensions.k8s.io"

    func execute(discovery initial: APIDiscovery) async -> (RestoreReport, Results) {
        var report = RestoreReport(restoreName: restoreName, backupName: backupName, dryRun: configuration.dryRun)
        var results = Results()
        let discovery = Locked(initial)
        let ledger = RestoreLedger(count: contents.count)
        let restoredCount = Locked(0)
        let context = RestoreActionContext(
            restoreName: restoreName,
            backupName: backupName,
            namespaceMapping: selection.namespaceMapping,
            preserveNodePorts: spec.preserveNodePorts ?? false,
            storageClassMapping: inputs.storageClassMapping,
            existingStorageClasses: inputs.existingStorageClasses,
            imageNameMapping: inputs.imageNameMapping,
            podVolumes: podVolumeContext
        )
        let statusFilter = spec.restoreStatus.map {
            IncludesExcludes(includes: $0.includedResources ?? [], excludes: $0.excludedResources ?? [])
        }
        // Persistent volumes provisioned again for their claims: those without volume data whose reclaim policy is
        // Delete, and those whose data the pod volume restores bring back (Velero's `pvsToProvision`).
        var dynamicallyProvisioned: Set<String> = []
        var podVolumeProvisioned: Set<String> = []
        for item in contents.items("persistentvolumes") {
            guard let pv = (try? contents.bytes(of: item)).flatMap({ try? JSONValue(parsing: $0) }) else { continue }
            if let backups = podVolumeContext?.backups,
                let claimNamespace = pv[path: ["spec", "claimRef", "namespace"]]?.stringValue,
                let claim = pv[path: ["spec", "claimRef", "name"]]?.stringValue,
                backups.backsUpClaim(namespace: claimNamespace, claim: claim)
            {
                dynamicallyProvisioned.insert(item.name)
                podVolumeProvisioned.insert(item.name)
            } else if VolumeBinding.hasDeleteReclaimPolicy(pv) {
                dynamicallyProvisioned.insert(item.name)
            }
        }
        let worker = ItemRestorer(
            client: client,
            configuration: configuration,
            restoreName: restoreName,
            backupName: backupName,
            policy: policy,
            contents: contents,
            selection: selection,
            inputs: inputs,
            context: context,
            statusFilter: statusFilter,
            dynamicallyProvisioned: dynamicallyProvisioned,
            podVolumeProvisioned: podVolumeProvisioned,
            podVolumes: podVolumes,
            discovery: discovery,
            ledger: ledger,
            log: log,
            podHooks: podHooks
        )

        let order = configuration.priorities.ordered(groupResourcesInBackup: contents.groupResources) { name in
            if contents.itemsByGroupResource[name] != nil { return name }
            return (try? initial.resolve(name).groupResource) ?? name
        }
        // Pass 1: CRDs, waited on until Established, then discovery is refreshed.
        var levels = order.filter { $0 == Self.crds }
        levels += order.filter { $0 != Self.crds }
        var namespacesDone = false
        // The writers at once: fixed, or adapted to the rate the server sustains (learned across levels).
        var adaptive: AdaptiveParallelism? =
            configuration.adaptiveParallelism
            ? AdaptiveParallelism(initial: configuration.parallelism, maximum: configuration.maximumParallelism) : nil
        let clock = ContinuousClock()
        let started = clock.now
        var throttlesSeen = client.throttledResponses
        var limit = configuration.parallelism
        var limitsUsed: [Int] = [limit]
        func finished() {
            guard var controller = adaptive else { return }
            let throttles = client.throttledResponses
            limit = controller.completed(at: clock.now - started, throttled: throttles > throttlesSeen)
            throttlesSeen = throttles
            adaptive = controller
            if limitsUsed.last != limit { limitsUsed.append(limit) }
        }
        for groupResource in levels {
            if groupResource != Self.crds && !namespacesDone {
                namespacesDone = true
                let outcome = await worker.ensureNamespaces()
                report.entries += outcome.entries
                results.errors.merge(outcome.results.errors)
                results.warnings.merge(outcome.results.warnings)
            }
            if groupResource == "namespaces" { continue }
            let items = contents.items(groupResource)
            // Each item's entries go into the report as it finishes (compactly; a level can hold most of a
            // million objects); only the CRDs created are kept aside, to wait for them.
            var createdCRDs: [String] = []
            func take(_ done: Outcome) {
                report.entries += done.entries
                results.errors.merge(done.results.errors)
                results.warnings.merge(done.results.warnings)
                if groupResource == Self.crds {
                    createdCRDs += done.entries.filter { $0.action == .create || $0.action == .update }.map(\.name)
                }
                announce(restoredCount, done: done, resource: groupResource)
                finished()
            }
            await withTaskGroup(of: Outcome.self) { group in
                var running = 0
                for item in items {
                    while running >= limit, let done = await group.next() {
                        running -= 1
                        take(done)
                    }
                    group.addTask { await worker.restore(groupResource: groupResource, item: item, additional: false) }
                    running += 1
                }
                for await done in group { take(done) }
            }
            if groupResource == Self.crds && !configuration.dryRun {
                for name in createdCRDs {
                    if let problem = await worker.waitForCRD(name) {
                        results.errors.add(namespace: nil, problem)
                        log.error(problem)
                    }
                }
                if let refreshed = try? await client.discovery(refresh: true) { discovery.withLock { $0 = refreshed } }
            }
        }
        if !namespacesDone {
            let outcome = await worker.ensureNamespaces()
            report.entries += outcome.entries
            results.errors.merge(outcome.results.errors)
        }
        if adaptive != nil {
            log.info(
                "Writers at once, adapted to the API server: \(limitsUsed.map(String.init).joined(separator: " → "))"
            )
        }
        report.parallelism = limitsUsed
        return (report, results)
    }

    private func announce(_ counter: Locked<Int>, done: Outcome, resource: String) {
        guard let progress = configuration.progress else { return }
        let restored = counter.withLock { value -> Int in
            value += done.entries.filter { $0.action != .excluded }.count
            return value
        }
        progress(
            RestoreProgress(itemsRestored: restored, totalItems: selection.selectedCount, currentResource: resource)
        )
    }
}

extension RestoreExecutor.Outcome {
    mutating func merge(_ other: RestoreExecutor.Outcome) {
        entries += other.entries
        results.errors.merge(other.results.errors)
        results.warnings.merge(other.results.warnings)
    }
}
