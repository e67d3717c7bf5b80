import Foundation
import Kubernetes
import Logging
import Synchronization

/// Running data paths: each in its own child task, stopped by a cancel request or by shutdown.
extension NodeAgentController {
    private enum Outcome: Sendable {
        case finished(DataPathResult)
        case failed(String)
        case stopped
        case cancelSignal
    }

    /// Starts the data paths handed over by the reconciles until cancelled.
    func runDataPaths() async {
        await withDiscardingTaskGroup { group in
            for await request in state.starts {
                group.addTask { await runDataPath(request.load, resumed: request.resumed) }
            }
            group.cancelAll()
        }
    }

    private func runDataPath(_ load: LoadObject, resumed: Bool) async {
        let key = LoadKey(kind: load.kind, name: load.name)
        let dataPath = self.dataPath
        let node = self.node
        // Registered before reading whether a cancel was requested, so none is lost in between.
        let (signal, continuation) = state.signals.register(key)
        if state.decide({ $0.isCancelRequested(key) }) { continuation.yield() }
        let outcome: Outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    return .finished(try await dataPath.run(load, node: node, resumed: resumed) { _, _ in })
                } catch is CancellationError {
                    return .stopped
                } catch {
                    return .failed("\(error)")
                }
            }
            group.addTask {
                for await _ in signal { return .cancelSignal }
                return .stopped
            }
            var result: Outcome = .stopped
            while let next = await group.next() {
                switch next {
                case .cancelSignal: group.cancelAll()
                case .finished, .failed:
                    result = next
                    group.cancelAll()
                case .stopped: break
                }
            }
            return result
        }
        let canceled = state.decide { $0.isCancelRequested(key) }
        var completed = false
        do {
            completed = try await record(outcome, canceled: canceled, load: load, key: key)
        } catch {
            logger.info("recording the end of a data path failed", metadata: ["load": "\(key)", "error": "\(error)"])
        }
        state.signals.remove(key)
        handle { $0.dataPathEnded(key, completed: completed) }
        // The final phase's watch event brings the load to onFinal, which cleans up and drops the finalizer.
    }

    /// Writes the outcome of a data path; returns whether the load completed.
    private func record(_ outcome: Outcome, canceled: Bool, load: LoadObject, key: LoadKey) async throws -> Bool {
        let time = timestamp
        switch outcome {
        case .finished(let result) where !canceled:
            if load.kind == .dataDownload {
                do {
                    try await rebindVolume(load)
                } catch {
                    // Velero logs this and leaves the load InProgress; here it fails with the reason.
                    logger.error(
                        "Failed to rebind PV to target PVC on completion",
                        metadata: ["load": "\(key)", "error": "\(error)"]
                    )
                    _ = try await update(key, from: load) { current in
                        guard current.phase == .inProgress || current.phase == .canceling else { return nil }
                        return try current.failed(
                            at: time,
                            message: "Failed to rebind PV to target PVC on completion: \(error)"
                        )
                    }
                    return false
                }
            }
            _ = try await update(key, from: load) { current in
                guard current.phase == .inProgress || current.phase == .canceling else { return nil }
                return try current.progressing(totalBytes: result.totalBytes, bytesDone: result.totalBytes)
                    .completed(
                        at: time,
                        path: result.path,
                        snapshotID: result.snapshotID,
                        incrementalBytes: result.incrementalBytes,
                        emptySnapshot: result.emptySnapshot
                    )
            }
            return true
        case .failed(let message) where !canceled:
            _ = try await update(key, from: load) { current in
                guard current.phase == .inProgress || current.phase == .canceling else { return nil }
                return try current.failed(at: time, message: "data path failed: \(message)")
            }
        case .stopped where !canceled:
            // Shutdown: leave the load InProgress so the next start resumes it.
            return false
        default:
            _ = try await update(key, from: load) { current in
                guard !current.phase.isFinal else { return nil }
                let canceling = current.phase == .inProgress ? try current.canceling() : current
                return try canceling.canceled(at: time)
            }
        }
        return false
    }
}
