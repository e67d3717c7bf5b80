import Foundation
import Kubernetes
import Logging
import Synchronization

/// Running data paths: each in its own child task, stopped by a cancel request or by shutdown.
extension NodeAgentController {
    private enum Outcome: Sendable {
        case finished(DataPathResult)
        case failed(String)
        /// The data path itself ended because the load was canceled (``NodeAgentError/Code/dataPathCanceled``).
        case canceled
        case stopped
        case cancelSignal
        /// A data path that stops itself did not end within its ``DataPath/cancelGrace`` after a cancel request.
        case graceExpired

        var isCanceled: Bool {
            if case .canceled = self { return true }
            return false
        }
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
        let progress = ProgressReports()
        let outcome: Outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    let result = try await dataPath.run(load, node: node, resumed: resumed) { total, done in
                        progress.report(totalBytes: total, bytesDone: done)
                    }
                    return .finished(result)
                } catch is CancellationError {
                    return .stopped
                } catch let error as NodeAgentError where error.code == .dataPathCanceled {
                    return .canceled
                } catch {
                    return .failed("\(error)")
                }
            }
            group.addTask {
                await writeProgress(progress, key: key, load: load)
                return .stopped
            }
            group.addTask {
                for await _ in signal { return .cancelSignal }
                return .stopped
            }
            var result: Outcome = .stopped
            while let next = await group.next() {
                switch next {
                case .cancelSignal:
                    guard let grace = dataPath.cancelGrace else {
                        group.cancelAll()
                        continue
                    }
                    // The data path sees the load's spec.cancel itself and ends canceled; wait for it a while.
                    group.addTask {
                        try? await Task.sleep(for: grace)
                        return .graceExpired
                    }
                case .graceExpired: group.cancelAll()
                case .finished, .failed, .canceled:
                    result = next
                    group.cancelAll()
                case .stopped: break
                }
            }
            return result
        }
        progress.finish()
        let canceled = outcome.isCanceled || state.decide { $0.isCancelRequested(key) }
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
                return try current.failed(at: time, message: "\(load.kind.dataPathFailureMessage): \(message)")
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

    // MARK: - Progress

    /// Writes the latest progress the data path reported to `status.progress`, at most once per
    /// ``Configuration/progressInterval``, until cancelled (Velero's `OnDataPathProgress`).
    private func writeProgress(_ reports: ProgressReports, key: LoadKey, load: LoadObject) async {
        for await _ in reports.ticks {
            guard let report = reports.take() else { continue }
            let (total, done) = report
            let current = state.decide { $0.view.load(key) } ?? load
            do {
                _ = try await update(key, from: current) { current in
                    guard current.phase == .inProgress else { return nil }
                    return current.progressing(totalBytes: total, bytesDone: done)
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("writing progress failed", metadata: ["load": "\(key)", "error": "\(error)"])
            }
            do { try await Task.sleep(for: configuration.progressInterval) } catch { return }
        }
    }
}

extension NodeAgentController {
    /// The progress a data path reports, kept as its latest value until the progress writer takes it: reports
    /// never wait for the API, and a burst of them costs one write.
    final class ProgressReports: Sendable {
        private let latest = Mutex<(total: Int64, done: Int64)?>(nil)
        /// Ticks when a report arrives (at most one pending).
        let ticks: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation

        init() {
            (ticks, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        }

        /// Records `(totalBytes, bytesDone)` (the data path's progress callback).
        func report(totalBytes total: Int64, bytesDone done: Int64) {
            latest.withLock { $0 = (total, done) }
            continuation.yield()
        }

        /// The latest report not written yet.
        func take() -> (Int64, Int64)? {
            latest.withLock { value in
                defer { value = nil }
                return value.map { ($0.total, $0.done) }
            }
        }

        /// No more reports.
        func finish() { continuation.finish() }
    }
}
