package import Kubernetes
import Synchronization
package import VeleroAPI

/// Counts of the hooks a run attempted and of those that failed (Velero's `hookStatus`).
package struct HookTotals: Sendable, Hashable {
    /// Hooks selected for pods, run or not (Velero's `HookTracker.Add` counts every one).
    package var attempted: Int
    /// Hooks that ran and failed, whatever their `onError`.
    package var failed: Int

    package init(attempted: Int = 0, failed: Int = 0) {
        self.attempted = attempted
        self.failed = failed
    }

    /// The Backup's / Restore's `status.hookStatus` as Velero writes it: always there, zero counts omitted
    /// (`{}` when no hook ran).
    package var hookStatus: BackupStatus.HookStatus {
        BackupStatus.HookStatus(
            hooksAttempted: attempted == 0 ? nil : attempted,
            hooksFailed: failed == 0 ? nil : failed
        )
    }
}

/// A hook runner that keeps the counts of what it ran (the engines read them into `status.hookStatus`).
package protocol HookTotalsReporting: Sendable {
    /// Hooks attempted and failed so far.
    func totals() -> HookTotals
}

/// The backup hooks of one Backup (Velero's `DefaultItemHookHandler` with its `HookTracker`): pod annotation
/// hooks, else the Backup's `spec.hooks.resources`, exec'd through the API.
///
/// The backup calls ``runPreHooks(pod:log:)`` and ``runPostHooks(pod:log:)`` for each pod (different pods
/// concurrently; one pod's hooks run in order) and, when it finishes, reads ``totals()`` into
/// `status.hookStatus`.
///
/// ```swift
/// let hooks = try BackupHooks(client: client, backup: backup)
/// let pre = await hooks.runPreHooks(pod: pod, log: log)
/// if !pre.abort { /* back up the pod's volumes */ _ = await hooks.runPostHooks(pod: pod, log: log) }
/// backup.status?.hookStatus = hooks.totals().hookStatus
/// ```
package final class BackupHooks: BackupHookRunning, HookTotalsReporting {
    package let spec: BackupHookSpec
    private let executor: PodHookExecutor
    private let counts = Mutex(HookTotals())

    package init(client: KubeClient, spec: BackupHookSpec) {
        self.spec = spec
        self.executor = PodHookExecutor(client: client)
    }

    /// The hooks of `backup` (its `spec.hooks`).
    /// - Throws: `BackupEngineError.invalidSpec` naming the field when `spec.hooks` is malformed.
    package convenience init(client: KubeClient, backup: Backup) throws {
        self.init(client: client, spec: try BackupHookSpec(json: backup.spec.hooks))
    }

    package func runPreHooks(pod: KubeObject, log: RunLog) async -> HookPhaseOutcome {
        await run(.pre, pod: pod, log: log)
    }

    package func runPostHooks(pod: KubeObject, log: RunLog) async -> HookPhaseOutcome {
        await run(.post, pod: pod, log: log)
    }

    /// The running totals over every call so far (for `status.hookStatus`; read it once all pods are done).
    package func totals() -> HookTotals { counts.withLock { $0 } }

    /// Runs the hooks of `phase` for `pod` in order. After a failed `Fail` hook the remaining hooks are not run
    /// (they still count as attempted, as in Velero's tracker) and the outcome aborts the pod.
    private func run(_ phase: BackupHookPhase, pod: KubeObject, log: RunLog) async -> HookPhaseOutcome {
        let hooks = spec.selectHooks(for: pod, phase: phase)
        guard !hooks.isEmpty else { return .none }
        var outcome = HookPhaseOutcome(attempted: hooks.count)
        let namespace = pod.namespace ?? ""
        let podName = "\(namespace)/\(pod.name ?? "")"
        for selected in hooks {
            let result = await executor.execute(selected, pod: pod, phase: phase.rawValue, log: log)
            guard let failure = result.failure else { continue }
            outcome.failed += 1
            let container = PodHookExecutor.container(of: selected.hook, in: pod)
            let message =
                "\(phase.rawValue) hook \(selected.name) in container \(container) of pod \(podName) failed: \(failure)"
            if selected.hook.effectiveOnError == .fail {
                outcome.errors.append(message)
                outcome.abort = true
                log.error(
                    "Error running \(phase.rawValue) hooks for pod",
                    fields: [("name", pod.name ?? ""), ("namespace", namespace), ("error", failure)]
                )
                break
            }
            outcome.warnings.append(message)
        }
        counts.withLock {
            $0.attempted += outcome.attempted
            $0.failed += outcome.failed
        }
        return outcome
    }
}
