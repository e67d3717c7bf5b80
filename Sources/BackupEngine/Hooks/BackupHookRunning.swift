package import Kubernetes

/// What one phase (`pre` or `post`) of a pod's backup hooks did.
package struct HookPhaseOutcome: Sendable, Hashable {
    /// Hooks run (Velero's `hookStatus.hooksAttempted`).
    package var attempted: Int
    /// Hooks that failed, whatever their `onError` (`hookStatus.hooksFailed`).
    package var failed: Int
    /// Errors for the backup's results (failed hooks with `onError: Fail`), in Velero's words.
    package var errors: [String]
    /// Warnings for the backup's results (failed hooks with `onError: Continue`).
    package var warnings: [String]
    /// A hook with `onError: Fail` failed: the pod's processing stops (its volumes are not backed up, its post
    /// hooks do not run) and the backup ends PartiallyFailed.
    package var abort: Bool

    package init(
        attempted: Int = 0,
        failed: Int = 0,
        errors: [String] = [],
        warnings: [String] = [],
        abort: Bool = false
    ) {
        self.attempted = attempted
        self.failed = failed
        self.errors = errors
        self.warnings = warnings
        self.abort = abort
    }

    /// Nothing ran.
    package static let none = HookPhaseOutcome()
}

/// Runs the backup hooks of pods (Velero's `ItemHookHandler`: annotation hooks, else the Backup's
/// `spec.hooks.resources`), exec'ing through the Kubernetes API. The backup calls ``runPreHooks(pod:log:)`` before
/// it backs up a pod's volumes and ``runPostHooks(pod:log:)`` once they are captured (after the pod's
/// PodVolumeBackups end), and not at all when the pre hooks aborted the pod. Each call writes the hooks' output
/// to `log` as Velero logs it.
package protocol BackupHookRunning: Sendable {
    func runPreHooks(pod: KubeObject, log: RunLog) async -> HookPhaseOutcome
    func runPostHooks(pod: KubeObject, log: RunLog) async -> HookPhaseOutcome
}
