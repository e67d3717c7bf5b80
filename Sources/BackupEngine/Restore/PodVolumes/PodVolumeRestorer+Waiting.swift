import Foundation
import Kubernetes
import VeleroAPI

extension PodVolumeRestorer {
    /// How one pod's volumes ended.
    struct PodResult: Sendable {
        /// Index in `entries` → final phase and message.
        var phases: [Int: (phase: String, message: String?)] = [:]
        var errors: [String] = []
    }

    /// Waits for every PodVolumeRestore created so far to end, pod by pod, and returns the restore's errors
    /// (Velero's `pod volume restore failed: …`, a missing node agent, the timeout).
    ///
    /// For each pod: once it is scheduled, a node must have a node agent (``NodeAgentPresence``), else its volumes
    /// fail at once with a message saying how to start one; then its PodVolumeRestores are polled until each is
    /// Completed, Failed or Canceled, or the pod-volume timeout passes.
    package func waitForAll() async -> [String] {
        let pods = state.value.pods
        guard !pods.isEmpty, !configuration.dryRun else { return [] }
        log.info("Waiting for all pod volume restores to complete")
        let results = await withTaskGroup(of: PodResult.self) { group in
            for pod in pods { group.addTask { await self.wait(for: pod) } }
            var all: [PodResult] = []
            for await result in group { all.append(result) }
            return all
        }
        var errors: [String] = []
        state.withLock { state in
            for result in results {
                for (index, outcome) in result.phases where index < state.entries.count {
                    state.entries[index].phase = outcome.phase
                    state.entries[index].message = outcome.message
                }
            }
        }
        for result in results { errors += result.errors }
        log.info("Done waiting for all pod volume restores to complete")
        return errors.sorted()
    }

    /// Waits for one pod's PodVolumeRestores.
    private func wait(for pod: TrackedPod) async -> PodResult {
        var result = PodResult()
        let entries = state.value.entries
        func label(_ index: Int) -> String {
            index < entries.count ? entries[index].displayName : "\(pod.namespace)/\(pod.name)"
        }
        // 1. The node: known once the pod is scheduled.
        switch await scheduledNode(of: pod) {
        case .some(let node) where !node.isEmpty:
            let presence = NodeAgentPresence(client: client, namespace: configuration.namespace)
            if !(await presence.isServed(node: node)) {
                let message = NodeAgentPresence.missingMessage(node: node)
                log.error(message, fields: [("pod", "\(pod.namespace)/\(pod.name)")])
                for index in pod.restores.values.sorted() {
                    result.phases[index] = (DataMovePhase.failed, message)
                    result.errors.append("pod volume restore of \(label(index)) failed: \(message)")
                }
                return result
            }
        case .some:
            log.info("pod \(pod.namespace)/\(pod.name) is not scheduled yet; waiting for its pod volume restores")
        case .none:
            if Task.isCancelled { return result }
        }
        // 2. The PodVolumeRestores.
        var pending = pod.restores
        while !pending.isEmpty {
            if let list = try? await client.list(
                PodVolumeRestore.resource,
                namespace: configuration.namespace,
                options: ListOptions(labelSelector: selector(podUID: pod.uid))
            ) {
                for object in list.items {
                    guard let name = object.name, let index = pending[name],
                        let restore = try? object.value.decode(as: PodVolumeRestore.self)
                    else { continue }
                    let phase = restore.status?.phase ?? ""
                    let message = restore.status?.message ?? ""
                    switch phase {
                    case DataMovePhase.completed:
                        result.phases[index] = (phase, nil)
                    case DataMovePhase.failed:
                        result.phases[index] = (phase, message)
                        result.errors.append("pod volume restore failed: \(label(index)): \(message)")
                    case DataMovePhase.canceled:
                        result.phases[index] = (phase, message)
                        result.errors.append("pod volume restore canceled: \(label(index)): \(message)")
                    default:
                        continue
                    }
                    pending[name] = nil
                }
            }
            if pending.isEmpty { break }
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                for index in pending.values.sorted() {
                    let message = "timed out waiting for all PodVolumeRestores to complete"
                    result.phases[index] = ("", message)
                    result.errors.append("\(message): \(label(index)) (after \(configuration.timeout))")
                }
                break
            }
            try? await Task.sleep(for: configuration.pollInterval)
        }
        return result
    }

    /// The node the pod runs on: "" when it is not scheduled within the scheduling timeout, `nil` when it is gone
    /// or the wait was cancelled.
    private func scheduledNode(of pod: TrackedPod) async -> String? {
        let limit = min(ContinuousClock.now + configuration.schedulingTimeout, deadline)
        while true {
            do {
                let live = try await client.get(.pods, namespace: pod.namespace, name: pod.name)
                if let node = live["spec"]?["nodeName"]?.stringValue, !node.isEmpty { return node }
            } catch let error as KubeError where error.code == .notFound {
                return nil
            } catch {
                // A transient API error: polled again.
            }
            guard ContinuousClock.now < limit, !Task.isCancelled else { return Task.isCancelled ? nil : "" }
            try? await Task.sleep(for: configuration.pollInterval)
        }
    }

    /// `velero.io/restore-uid=<uid>,velero.io/pod-uid=<pod uid>`.
    private func selector(podUID: String) -> LabelSelector? {
        try? LabelSelector(
            parsing: "\(VeleroLabels.restoreUID)=\(configuration.restoreUID),\(VeleroLabels.podUID)=\(podUID)"
        )
    }
}
