import Foundation
import Kubernetes
import Logging
import VeleroAPI

/// The part of the micro-service that backup and restore share (Velero's `RunCancelableDataPath` and
/// `ExitPodWithMessage`): wait for the load, initialize, run with progress and cancel, record Events, and end
/// with a termination message.
///
/// Messages, as Velero 1.18 writes them (`<X>` is `PVB` or `PVR`):
/// - Events: `Data-Path-Started` "Data path for <load> started"; `Data-Path-Progress` `{"totalBytes":…,"doneBytes":…}`
///   every ``PodVolumeDataMover/Configuration/progressInterval``; then `Data-Path-Completed` <result JSON>, or
///   `Data-Path-Failed` "Data path for <X> <load> failed, error <error>", or `Data-Path-Canceling` "Canceling for
///   <X> <load>" and `Data-Path-Canceled` "Data path for <X> <load> canceled"; last `Data-Path-Stopped` "Data path
///   for <load> stopped". Nothing is recorded when the run fails before the data path starts.
/// - Termination log: the result JSON, or "Failed to run data path service for <X> <load>: <error>" where a
///   canceled run's error is `data path is canceled`.
struct DataPathDriver: Sendable {
    let client: KubeClient
    let configuration: PodVolumeDataMover.Configuration
    let kind: DataPathLoadKind
    let logger: Logger

    /// Runs the micro-service to its end and writes the termination log.
    ///
    /// Cancelling the calling task (SIGTERM in the CLI) stops the run gracefully, as `spec.cancel` does: the
    /// Events and the termination log are still written.
    /// - Parameter initialize: opens what the data path needs for the `InProgress` load (errors end the run
    ///   before `Data-Path-Started`).
    func run(initialize: @escaping @Sendable (KubeObject) async throws -> DataPathJob) async -> DataPathOutcome {
        let stop = StopSignal()
        // The run itself is not cancelled: it turns the cancellation into a graceful stop and still reports.
        let outcome = await withTaskCancellationHandler {
            await Task { await self.runToEnd(stop: stop, initialize: initialize) }.value
        } onCancel: {
            stop.fire()
        }
        if !outcome.writeTerminationLog(to: configuration.terminationLogPath) {
            logger.info(
                "could not write the termination log",
                metadata: ["path": "\(configuration.terminationLogPath ?? "")"]
            )
            return DataPathOutcome(succeeded: false, message: outcome.message)
        }
        return outcome
    }

    private var failurePrefix: String {
        "Failed to run data path service for \(kind.abbreviation) \(configuration.loadName): "
    }

    private func runToEnd(
        stop: StopSignal,
        initialize: @Sendable (KubeObject) async throws -> DataPathJob
    ) async -> DataPathOutcome {
        let load: KubeObject
        let job: DataPathJob
        do {
            load = try await waitUntilInProgress(stop: stop)
        } catch {
            return DataPathOutcome(
                succeeded: false,
                message: failurePrefix + "error waiting for \(kind.abbreviation): \(Self.text(error))"
            )
        }
        do {
            job = try await initialize(load)
        } catch {
            return DataPathOutcome(
                succeeded: false,
                message: failurePrefix + "error to initialize data path: \(Self.text(error))"
            )
        }
        return await runJob(job, load: load, stop: stop)
    }

    /// What ended the race between the data path, its progress reports and a cancel request.
    private enum Step: Sendable {
        case finished(Swift.Result<String, any Error>)
        case cancelRequested
        case helperEnded
    }

    /// Runs the initialized data path with its Events (Velero's `StartBackup`/`StartRestore` and callbacks).
    private func runJob(_ job: DataPathJob, load: KubeObject, stop: StopSignal) async -> DataPathOutcome {
        let events = DataPathEventRecorder(client: client, load: load, nodeName: configuration.nodeName, logger: logger)
        let name = configuration.loadName
        await events.record(DataPathMessages.reasonStarted, "Data path for \(name) started")
        let result = await withTaskGroup(of: Step.self) { group -> (Swift.Result<String, any Error>, canceled: Bool) in
            group.addTask {
                do { return .finished(.success(try await job.run())) } catch { return .finished(.failure(error)) }
            }
            group.addTask {
                await self.reportProgress(job, to: events)
                return .helperEnded
            }
            if let companion = job.companion {
                group.addTask {
                    await companion()
                    return .helperEnded
                }
            }
            group.addTask {
                await self.waitForCancel(load: load, stop: stop) ? Step.cancelRequested : Step.helperEnded
            }
            var canceled = false
            while let step = await group.next() {
                switch step {
                case .finished(let result):
                    group.cancelAll()
                    return (result, canceled)
                case .cancelRequested:
                    canceled = true
                    logger.info("\(kind.kind) is being canceled", metadata: ["load.name": "\(name)"])
                    await events.record(DataPathMessages.reasonCanceling, "Canceling for \(kind.abbreviation) \(name)")
                    group.cancelAll()
                case .helperEnded:
                    continue
                }
            }
            return (.failure(CancellationError()), true)
        }
        let outcome = await finish(result.0, canceled: result.canceled, events: events)
        await events.record(DataPathMessages.reasonStopped, "Data path for \(name) stopped")
        return outcome
    }

    /// Records how the data path ended and builds the termination message.
    private func finish(
        _ result: Swift.Result<String, any Error>,
        canceled: Bool,
        events: DataPathEventRecorder
    ) async -> DataPathOutcome {
        let name = configuration.loadName
        switch result {
        case .success(let message):
            await events.record(DataPathMessages.reasonCompleted, message)
            return DataPathOutcome(succeeded: true, message: message)
        case .failure(let error) where canceled || error is CancellationError:
            await events.record(DataPathMessages.reasonCanceled, "Data path for \(kind.abbreviation) \(name) canceled")
            return DataPathOutcome(succeeded: false, message: failurePrefix + DataPathMessages.canceledMessageSuffix)
        case .failure(let error):
            let text = Self.text(error)
            logger.info("data path failed", metadata: ["load.name": "\(name)", "error": "\(text)"])
            await events.record(
                DataPathMessages.reasonFailed,
                "Data path for \(kind.abbreviation) \(name) failed, error \(text)"
            )
            return DataPathOutcome(
                succeeded: false,
                message: failurePrefix + "Data path for \(kind.abbreviation) \(name) failed: \(text)"
            )
        }
    }

    /// Records `Data-Path-Progress` every interval until cancelled.
    private func reportProgress(_ job: DataPathJob, to events: DataPathEventRecorder) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.progressInterval) } catch { return }
            await events.record(DataPathMessages.reasonProgress, DataPathJSON.progress(job.progress()))
        }
    }

    /// An error as one line: the message of Lifeboat's errors, with their causes.
    static func text(_ error: any Error) -> String {
        "\(error)".replacingOccurrences(of: "\n", with: "; ")
    }
}
