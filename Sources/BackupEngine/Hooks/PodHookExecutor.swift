import Foundation
package import Kubernetes

/// Runs one exec hook in a pod through the API's `pods/exec` (Velero's `PodCommandExecutor`): defaults the
/// container to the pod's first, checks it exists, applies the timeout (closing the exec stream, which stops
/// the command), and logs as Velero does (`running exec hook`, then `stdout: …` and `stderr: …`).
package struct PodHookExecutor: Sendable {
    /// How one hook ended.
    package enum Outcome: Sendable, Hashable {
        /// It ran and exited 0.
        case succeeded
        /// It did not run, or ran and failed: the message says why, in Velero's words where it has them.
        case failed(String)
        /// It was not run and is no failure (the pod already completed, as Velero skips it).
        case skipped

        package var failure: String? {
            if case .failed(let message) = self { return message }
            return nil
        }
    }

    package let client: KubeClient

    package init(client: KubeClient) { self.client = client }

    /// Runs `selected` in `pod`.
    ///
    /// - Parameters:
    ///   - selected: the hook, its name and source.
    ///   - pod: the pod as last seen (its containers and phase decide the defaults and the skip).
    ///   - phase: `pre`, `post` (backup) or `post` (restore), for the log's `hookPhase`.
    ///   - log: the run's log.
    package func execute(_ selected: SelectedExecHook, pod: KubeObject, phase: String, log: RunLog) async -> Outcome {
        var hook = selected.hook
        let namespace = pod.namespace ?? ""
        let name = pod.name ?? ""
        let containers = (pod["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        var fields: [(String, String)] = [
            ("hookSource", selected.source.rawValue), ("hookType", "exec"), ("hookPhase", phase),
            ("pod", "\(namespace)/\(name)"),
        ]
        func fail(_ message: String) -> Outcome {
            log.error("Error executing hook", fields: fields + [("error", message)])
            return .failed(message)
        }
        if hook.container.isEmpty {
            guard let first = containers.first else { return fail("need at least 1 container") }
            hook.container = first
        } else if !containers.contains(hook.container) {
            return fail("no such container: \(hook.container.debugDescription)")
        }
        if let problem = hook.commandProblem { return fail(problem) }
        guard !hook.command.isEmpty else { return fail("command is required") }
        let timeout = hook.effectiveTimeout
        fields += [
            ("hookName", selected.name), ("hookContainer", hook.container),
            ("hookCommand", "[\(hook.command.joined(separator: " "))]"),
            ("hookOnError", hook.effectiveOnError.rawValue), ("hookTimeout", "{\(GoDuration.format(timeout))}"),
        ]
        let podPhase = pod["status"]?["phase"]?.stringValue ?? ""
        if podPhase == "Succeeded" || podPhase == "Failed" {
            log.info("Pod entered phase \(podPhase) before some post-backup exec hooks ran", fields: fields)
            return .skipped
        }
        log.info("running exec hook", fields: fields)
        let result: PodExecResult
        do {
            result = try await Self.withTimeout(timeout) {
                [client, container = hook.container, command = hook.command] in
                try await client.exec(namespace: namespace, pod: name, container: container, command: command)
            }
        } catch is HookTimeout {
            return fail("timed out after \(GoDuration.format(timeout))")
        } catch let error as KubeError {
            return fail(error.message)
        } catch {
            return fail("\(error)")
        }
        log.info("stdout: \(result.stdoutText)", fields: fields)
        log.info("stderr: \(result.stderrText)", fields: fields)
        guard result.exitCode == 0 else {
            let stderr = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            return fail(
                "command terminated with exit code \(result.exitCode)" + (stderr.isEmpty ? "" : ", stderr: \(stderr)")
            )
        }
        return .succeeded
    }

    /// The container `hook` runs in: its own, else the pod's first (empty when the pod has none).
    package static func container(of hook: ExecHook, in pod: KubeObject) -> String {
        guard hook.container.isEmpty else { return hook.container }
        return pod["spec"]?["containers"]?[0]?["name"]?.stringValue ?? ""
    }

    /// The hook's time ran out.
    private struct HookTimeout: Error {}

    /// Runs `body`, giving up when `timeout` passes first (Velero's executor does the same: the hook is
    /// reported as timed out and its exec is cancelled, which the server may not see before the command ends).
    ///
    /// The exec runs in its own task so that a stream that does not notice the cancellation cannot hold the
    /// backup past the timeout.
    private static func withTimeout<R: Sendable>(
        _ timeout: Duration,
        _ body: @escaping @Sendable () async throws -> R
    ) async throws -> R {
        let slot = Locked<CheckedContinuation<R, any Error>?>(nil)
        let finish: @Sendable (Swift.Result<R, any Error>) -> Void = { result in
            let continuation = slot.withLock { value -> CheckedContinuation<R, any Error>? in
                defer { value = nil }
                return value
            }
            continuation?.resume(with: result)
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                slot.withLock { $0 = continuation }
                let work = Task {
                    do {
                        finish(.success(try await body()))
                    } catch {
                        finish(.failure(error))
                    }
                }
                Task {
                    try? await Task.sleep(for: timeout)
                    finish(.failure(HookTimeout()))
                    work.cancel()
                }
            }
        } onCancel: {
            finish(.failure(CancellationError()))
        }
    }
}
