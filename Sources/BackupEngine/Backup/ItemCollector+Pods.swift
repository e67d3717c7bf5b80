import Kubernetes
import VeleroAPI

/// A pod's hooks and file-system backup as the item listing meets it (Velero's `backupItemBlock` and
/// `backupItemInternal` for pods): pre hooks first (an abort drops the pod and its volumes), then the volumes chosen
/// for file-system backup get their PodVolumeBackups (the listing goes on while the node agents move the data), and
/// the post hooks run once the pod's PodVolumeBackups end — at once when it has none.
extension ItemCollector {
    /// A backed-up PV: its claim and what a re-creation would lose (for the volume info).
    struct BackedUpVolume: Sendable {
        var claimNamespace: String?
        var claimName: String?
        var reclaimPolicy: String
        var labels: [String: String]?
    }

    static let claimsResource = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims")
    static let volumesResource = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumes")

    /// How many pods run their hooks at once (Velero 1.16+ runs the hooks of different item blocks concurrently;
    /// one pod's hooks always run in order).
    static let hookConcurrency = 32

    /// Runs the pre hooks of a page's pods together, those the backup will take (the same inclusion checks), before
    /// any of them is written or gets PodVolumeBackups.
    /// - Returns: the outcomes by `namespace/name`.
    func runPreHooks(of page: Page, state: State) async -> [String: HookPhaseOutcome] {
        guard let hooks else { return [:] }
        let pods = page.items.filter { pod in
            guard let name = pod.name else { return false }
            let reference = ItemReference(groupResource: "pods", namespace: pod.namespace, name: name)
            return !state.items.contains(reference)
                && passesInclusionChecks(pod, resource: page.resource, additional: false, logged: false)
        }
        let outcomes = await Self.concurrently(pods, width: Self.hookConcurrency) { pod in
            await hooks.runPreHooks(pod: pod, log: log)
        }
        var byPod: [String: HookPhaseOutcome] = [:]
        for (pod, outcome) in zip(pods, outcomes) { byPod[Self.key(pod)] = outcome }
        return byPod
    }

    /// Runs the post hooks of the pods written without PodVolumeBackups since the last call, together.
    func runPendingPostHooks(state: inout State) async {
        guard let hooks, !state.pendingPostHooks.isEmpty else { return }
        let pods = state.pendingPostHooks
        state.pendingPostHooks = []
        let outcomes = await Self.concurrently(pods, width: Self.hookConcurrency) { pod in
            await hooks.runPostHooks(pod: pod, log: log)
        }
        for (pod, outcome) in zip(pods, outcomes) { state.record(outcome, namespace: pod.namespace) }
    }

    /// `body` over `items`, at most `width` at once; the results in the items' order.
    static func concurrently<Result: Sendable>(
        _ items: [KubeObject],
        width: Int,
        _ body: @escaping @Sendable (KubeObject) async -> Result
    ) async -> [Result] {
        await withTaskGroup(of: (Int, Result).self) { group in
            var results: [Result?] = Array(repeating: nil, count: items.count)
            var next = 0
            while next < min(width, items.count) {
                let (index, item) = (next, items[next])
                group.addTask { (index, await body(item)) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < items.count {
                    let (index, item) = (next, items[next])
                    group.addTask { (index, await body(item)) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }

    private static func key(_ pod: KubeObject) -> String { "\(pod.namespace ?? "")/\(pod.name ?? "")" }

    /// Runs the pod's pre hooks (or takes their outcome from its page's run) and starts the backup of its chosen
    /// volumes.
    /// - Returns: the PodVolumeBackups created for it, or nil when a pre hook aborted the pod (it is then left out).
    func startPod(_ pod: KubeObject, state: inout State) async throws -> [String]? {
        let podName = Self.key(pod)
        if let hooks {
            let outcome: HookPhaseOutcome
            if let ran = state.preHookOutcomes.removeValue(forKey: podName) {
                outcome = ran
            } else {
                outcome = await hooks.runPreHooks(pod: pod, log: log)
            }
            state.record(outcome, namespace: pod.namespace)
            if outcome.abort {
                log.error("Error running pre hooks for pod", fields: [("name", podName)])
                return nil
            }
        }
        let volumes = try await chosenVolumes(of: pod, state: &state)
        guard !volumes.isEmpty else { return [] }
        guard let podVolumes else {
            let names = volumes.map(\.name).joined(separator: ", ")
            let message =
                "volume data of pod \(podName) (volumes \(names)) was not backed up: file-system backup is not "
                + "available in this run"
            log.warning(message)
            state.results.warnings.add(namespace: pod.namespace, message)
            return []
        }
        let (created, errors) = await podVolumes.backUp(pod: pod, volumes: volumes)
        for message in errors { state.results.errors.add(namespace: pod.namespace, message) }
        return created
    }

    /// Runs the pod's post hooks once `backups` end, or, when there are none, with the other pods of its page once
    /// the page is written (``runPendingPostHooks(state:)``).
    func finishPod(_ pod: KubeObject, backups: [String], state: inout State) async {
        guard hooks != nil else { return }
        if let podVolumes, !backups.isEmpty {
            await podVolumes.runPostHooks(of: pod, after: backups)
            return
        }
        state.pendingPostHooks.append(pod)
    }

    /// The pod volumes chosen for file-system backup (``PodVolumeSelection``), after the skip rules; skips are
    /// logged (and counted as warnings where Velero warns).
    private func chosenVolumes(of pod: KubeObject, state: inout State) async throws -> [PodVolumeBackupper.Volume] {
        let podVolumes = pod["spec"]?["volumes"]?.arrayValue ?? []
        let annotated = pod.annotations[VeleroAnnotations.backupVolumes].map { !$0.isEmpty } ?? false
        guard !podVolumes.isEmpty, annotated || selection.defaultVolumesToFsBackup || selection.policies != nil
        else { return [] }
        var claims: [String: JSONValue] = [:]
        var volumes: [String: JSONValue] = [:]
        for volume in podVolumes {
            guard let claimName = volume["persistentVolumeClaim"]?["claimName"]?.stringValue, !claimName.isEmpty,
                claims[claimName] == nil
            else { continue }
            guard
                let claim = try await client.getIfPresent(
                    Self.claimsResource,
                    namespace: pod.namespace,
                    name: claimName
                )
            else { continue }
            claims[claimName] = claim.value
            if let volumeName = claim["spec"]?["volumeName"]?.stringValue, !volumeName.isEmpty,
                let volume = try await client.getIfPresent(Self.volumesResource, namespace: nil, name: volumeName)
            {
                volumes[volumeName] = volume.value
            }
        }
        let decisions = selection.decide(
            pod: pod.value,
            claims: claims,
            volumes: volumes,
            takenClaims: &state.takenClaims
        )
        let podName = "\(pod.namespace ?? "")/\(pod.name ?? "")"
        var chosen: [PodVolumeBackupper.Volume] = []
        for (volumeName, decision) in decisions {
            switch decision {
            case .backup(let claimName):
                let claim = claimName.flatMap { claims[$0] }
                let pvName = claim?["spec"]?["volumeName"]?.stringValue
                let pv = pvName.flatMap { volumes[$0] }
                let facts = PodVolumeFacts(
                    claim: claimName,
                    persistentVolume: pvName.flatMap { $0.isEmpty ? nil : $0 },
                    reclaimPolicy: pv?["spec"]?["persistentVolumeReclaimPolicy"]?.stringValue ?? "",
                    labels: Self.labels(pv)
                )
                chosen.append(
                    PodVolumeBackupper.Volume(name: volumeName, claim: claim.flatMap { KubeObject($0) }, facts: facts)
                )
            case .skipped(let reason):
                if reason.hasPrefix("matched action is 'skip'") {
                    log.info("skip backup of volume \(volumeName) for the matched resource policies")
                } else {
                    log.warning("Skip pod volume \(volumeName): \(reason)", fields: [("pod", podName)])
                    state.results.warnings.add(namespace: pod.namespace, "pod volume \(volumeName): \(reason)")
                }
            case .claimTaken(let claim):
                log.info(
                    "Pod volume uses a persistent volume claim which has already been backed up from another pod, "
                        + "skipping.",
                    fields: [("pod", podName), ("podVolume", volumeName), ("pvcName", claim)]
                )
            case .notSelected:
                break
            }
        }
        return chosen
    }

    /// Remembers a backed-up PV (its claim, reclaim policy and labels).
    static func backedUpVolume(_ pv: KubeObject) -> BackedUpVolume {
        BackedUpVolume(
            claimNamespace: pv["spec"]?["claimRef"]?["namespace"]?.stringValue,
            claimName: pv["spec"]?["claimRef"]?["name"]?.stringValue,
            reclaimPolicy: pv["spec"]?["persistentVolumeReclaimPolicy"]?.stringValue ?? "",
            labels: Self.labels(pv.value)
        )
    }

    /// An object's labels, nil when it has none (Go's nil map).
    static func labels(_ object: JSONValue?) -> [String: String]? {
        guard let labels = object?["metadata"]?["labels"]?.objectValue else { return nil }
        var result: [String: String] = [:]
        for (key, value) in labels { result[key] = value.stringValue }
        return result
    }
}

extension ItemCollector.State {
    /// Adds a hook phase's counts and messages.
    mutating func record(_ outcome: HookPhaseOutcome, namespace: String?) {
        hooks.attempted += outcome.attempted
        hooks.failed += outcome.failed
        for message in outcome.errors { results.errors.add(namespace: namespace, message) }
        for message in outcome.warnings { results.warnings.add(namespace: namespace, message) }
    }
}
