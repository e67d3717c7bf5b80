package import Kubernetes
import Synchronization

/// The post-restore exec hooks of one Restore (Velero's `hooksWaitExecutor` and `DefaultWaitExecHookHandler`).
///
/// Once a pod is created, ``withHooks(_:)``'s `start` begins watching it (a watch on the pod's name, not a
/// polling loop); when a container with hooks is running (ready, when one of its hooks has `waitForReady`)
/// its hooks run in order. Pods are handled concurrently. A hook whose `waitTimeout` has passed is not run;
/// a failed hook with `onError: Fail` stops the pod's other hooks; the pod ending (Succeeded, Failed) or being
/// deleted stops them too; when the longest wait timeout passes, hooks still waiting are not run. Every hook
/// that failed or was not run is an error for the pod's namespace (Velero's `HookErrs`).
///
/// ```swift
/// let hooks = RestoreExecHooks(client: client, spec: try RestoreHookSpec(json: restore.spec.hooks), log: log)
/// let report = await hooks.withHooks { start in await restoreItems(onPodCreated: start) }
/// restore.status?.hookStatus = hooks.totals().hookStatus
/// ```
package final class RestoreExecHooks: HookTotalsReporting {
    package let spec: RestoreHookSpec
    private let client: KubeClient
    private let executor: PodHookExecutor
    private let log: RunLog
    /// How long a pod's hooks wait at most when a hook has no `waitTimeout` (Velero bounds the wait by the
    /// restore's resource timeout).
    private let waitLimit: Duration
    private let state = Mutex(State())

    private struct State {
        var totals = HookTotals()
        var errors = Result()
    }

    /// Why watching a pod ended.
    private enum Stop: Sendable {
        case done, cancelled, deadline
    }

    package init(client: KubeClient, spec: RestoreHookSpec, log: RunLog, waitLimit: Duration = .seconds(600)) {
        self.client = client
        self.spec = spec
        self.executor = PodHookExecutor(client: client)
        self.log = log
        self.waitLimit = waitLimit
    }

    /// Runs `body` with `start`, which begins the exec hooks of a created pod; returns once `body` returned and
    /// every started pod's hooks ended.
    package func withHooks<R: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (_ start: @escaping @Sendable (KubeObject) -> Void) async -> R
    ) async -> R {
        let (pods, continuation) = AsyncStream.makeStream(of: KubeObject.self)
        return await withTaskGroup(of: Void.self, isolation: isolation) { group in
            group.addTask { [self] in
                await withDiscardingTaskGroup { running in
                    for await pod in pods {
                        running.addTask { await self.run(pod: pod) }
                    }
                }
            }
            let result = await body { pod in _ = continuation.yield(pod) }
            continuation.finish()
            await group.waitForAll()
            return result
        }
    }

    /// Hooks attempted and failed so far (for `status.hookStatus`).
    package func totals() -> HookTotals { state.withLock { $0.totals } }

    /// The failed and unexecuted hooks, as errors by namespace (for the restore's results).
    package func errors() -> Result { state.withLock { $0.errors } }

    /// Runs the exec hooks of one created pod to their end.
    package func run(pod: KubeObject) async {
        var groups = RestoreExecHookGroups.group(pod: pod, spec: spec)
        let count = groups.reduce(0) { $0 + $1.hooks.count }
        guard count > 0 else { return }
        state.withLock { $0.totals.attempted += count }
        let namespace = pod.namespace ?? ""
        let podName = "\(namespace)/\(pod.name ?? "")"
        let containers = Set((pod["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        groups.removeAll { group in
            guard !containers.contains(group.container) else { return false }
            log.warning("Pod \(podName) does not have container \(group.container): discarding post-restore exec hooks")
            return true
        }
        guard !groups.isEmpty else { return }
        let pending = Locked(groups)
        let maxWait = RestoreExecHookGroups.maxWait(groups) ?? waitLimit
        let start = ContinuousClock.now
        let stop = await withTaskGroup(of: Stop.self) { group in
            group.addTask {
                try? await Task.sleep(for: maxWait)
                return .deadline
            }
            group.addTask { await self.watchAndRun(pod: pod, pending: pending, start: start) }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
        let reason = stop == .deadline ? "context deadline exceeded" : "context canceled"
        for group in pending.value {
            for hook in group.hooks where !hook.executed {
                fail(
                    hook,
                    namespace: namespace,
                    "hook \(hook.name) in container \(hook.container) in pod \(podName) not executed: \(reason)"
                )
            }
        }
    }

    /// Watches the pod and runs each container's hooks the first time it is seen up.
    private func watchAndRun(
        pod: KubeObject,
        pending: Locked<[ContainerRestoreHooks]>,
        start: ContinuousClock.Instant
    )
        async -> Stop
    {
        let namespace = pod.namespace ?? ""
        let name = pod.name ?? ""
        let podName = "\(namespace)/\(name)"
        let options = WatchOptions(
            fieldSelector: FieldSelector([.init(field: "metadata.name", operator: .equals, value: name)])
        )
        do {
            for try await event in client.watch(.pods, namespace: namespace, options: options) {
                switch event.type {
                case .deleted:
                    log.error("pod \(podName) deleted before all hooks were executed")
                    return .cancelled
                case .bookmark, .restarted:
                    continue
                case .added, .modified:
                    break
                }
                let current = event.object
                guard current.name == name else { continue }
                let phase = current.status?["phase"]?.stringValue ?? ""
                if phase == "Succeeded" || phase == "Failed" {
                    log.warning(
                        "pod entered phase \(phase) before some post-restore exec hooks ran",
                        fields: [("pod", podName)]
                    )
                    return .cancelled
                }
                for index in pending.value.indices {
                    let group = pending.value[index]
                    guard group.hooks.contains(where: { !$0.executed }) else { continue }
                    guard RestoreExecHookGroups.isContainerUp(current, container: group.container, hooks: group.hooks)
                    else {
                        log.info(
                            "Container \(group.container) is not up: post-restore hooks will not yet be executed",
                            fields: [("pod", podName)]
                        )
                        continue
                    }
                    for hookIndex in group.hooks.indices {
                        pending.withLock { $0[index].hooks[hookIndex].executed = true }
                        let hook = group.hooks[hookIndex]
                        let proceed = await runHook(hook, pod: current, start: start)
                        if !proceed { return .cancelled }
                    }
                }
                if pending.value.allSatisfy({ $0.hooks.allSatisfy(\.executed) }) { return .done }
            }
        } catch {
            log.error("error watching pod \(podName) for post-restore exec hooks: \(error)")
        }
        return .cancelled
    }

    /// Runs one hook (unless its wait timeout passed). - Returns: false when the pod's hooks must stop.
    private func runHook(_ hook: PendingRestoreHook, pod: KubeObject, start: ContinuousClock.Instant) async -> Bool {
        let namespace = pod.namespace ?? ""
        // Velero stops only on an explicit `Fail` here (an unset onError lets the other hooks run).
        let stops = hook.hook.exec.onError == .fail
        if let wait = hook.hook.waitTimeout, wait > .zero, start.duration(to: .now) > wait {
            fail(
                hook,
                namespace: namespace,
                "hook \(hook.name) in container \(hook.container) expired before executing"
            )
            return !stops
        }
        let selected = SelectedExecHook(name: hook.name, source: hook.source, hook: hook.hook.exec)
        let outcome = await executor.execute(selected, pod: pod, phase: "post", log: log)
        guard let failure = outcome.failure else { return true }
        fail(
            hook,
            namespace: namespace,
            "hook \(hook.name) in container \(hook.container) failed to execute, err: \(failure)",
            logged: true
        )
        return !stops
    }

    /// Records a failed (or unexecuted) hook: counted, logged and kept as an error for `namespace`.
    private func fail(_ hook: PendingRestoreHook, namespace: String, _ message: String, logged: Bool = false) {
        if !logged {
            log.error(
                message,
                fields: [("hookSource", hook.source.rawValue), ("hookType", "exec"), ("hookPhase", "post")]
            )
        }
        state.withLock {
            $0.totals.failed += 1
            $0.errors.add(namespace: namespace, message)
        }
    }
}

/// What restoring a pod needs from the Restore's hooks: the spec (for init-container hooks, inserted before
/// the pod is created) and where to announce a created pod (its exec hooks start watching it).
package struct RestorePodHooks: Sendable {
    package var spec: RestoreHookSpec
    /// Called with each pod the restore created.
    package var created: @Sendable (KubeObject) -> Void

    package init(spec: RestoreHookSpec, created: @escaping @Sendable (KubeObject) -> Void) {
        self.spec = spec
        self.created = created
    }
}
