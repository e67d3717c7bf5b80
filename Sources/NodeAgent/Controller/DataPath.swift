import Foundation
import Kubernetes

/// What a data path reports when it finishes.
package struct DataPathResult: Sendable, Hashable {
    /// Bytes the load covered (`status.progress.totalBytes`).
    package var totalBytes: Int64
    /// The repository path (`status.path`), if any.
    package var path: String?
    /// The snapshot written (`status.snapshotID`), if any (backups).
    package var snapshotID: String?
    /// Bytes uploaded (`status.incrementalBytes`), if known.
    package var incrementalBytes: Int64?
    /// Whether the volume was empty (Velero then reports `volume was empty so no data was upload`).
    package var emptySnapshot: Bool

    package init(
        totalBytes: Int64 = 0,
        path: String? = nil,
        snapshotID: String? = nil,
        incrementalBytes: Int64? = nil,
        emptySnapshot: Bool = false
    ) {
        self.totalBytes = totalBytes
        self.path = path
        self.snapshotID = snapshotID
        self.incrementalBytes = incrementalBytes
        self.emptySnapshot = emptySnapshot
    }
}

/// The part of a load that moves bytes (Velero's VGDP: the data-mover micro-service). The node agent
/// starts it once the load is InProgress on this node and writes its outcome to the load.
///
/// Cancellation is task cancellation: when a load is canceled the node agent cancels the task running
/// ``run(_:node:resumed:progress:)``; the data path stops and throws `CancellationError`.
package protocol DataPath: Sendable {
    /// Runs the data path of `load` on `node` to its end.
    ///
    /// - Parameters:
    ///   - load: the load as it was when it moved to InProgress (or was resumed).
    ///   - node: this node.
    ///   - resumed: whether the node agent restarted while the load was InProgress.
    ///   - progress: reports `(totalBytes, bytesDone)`; the node agent may write it to `status.progress`.
    /// - Returns: the result written to the Completed load.
    /// - Throws: any error (the load fails with `data path failed: <error>`); `CancellationError` when canceled.
    func run(
        _ load: LoadObject,
        node: String,
        resumed: Bool,
        progress: @escaping @Sendable (Int64, Int64) -> Void
    ) async throws -> DataPathResult

    /// How long the node agent lets the data path end by itself after the load's cancel was requested before it
    /// cancels the task: a data path that watches `spec.cancel` itself (the micro-service in the hosting pod)
    /// then stops cleanly, releasing its repository lock. nil (the default): the task is cancelled at once.
    var cancelGrace: Duration? { get }
}

extension DataPath {
    package var cancelGrace: Duration? { nil }
}

/// A data path that moves nothing and takes a known time: the duration is read from the load's annotation
/// ``durationAnnotation`` (seconds, e.g. `"2.5"`), else ``Configuration/defaultDuration``. A resumed load only
/// runs for what is left since its `status.startTimestamp`. Used by tests and the scheduling benchmark
/// (`lifeboat node-agent server --simulate-data-path`); the real one is ``MicroServiceDataPath``.
package struct SimulatedDataPath: DataPath {
    /// The annotation that gives a load's simulated duration in seconds.
    package static let durationAnnotation = "lifeboat.io/simulated-duration-seconds"
    /// The annotation that makes the simulated data path fail with its value as the error.
    package static let failureAnnotation = "lifeboat.io/simulated-failure"

    /// Tuning of the simulation.
    package struct Configuration: Sendable {
        /// The duration of loads without the annotation.
        package var defaultDuration: Duration
        /// The byte count reported for every load.
        package var totalBytes: Int64
        /// Called once per run (load kind and name, node, resumed) — tests count invocations with it.
        package var onRun: (@Sendable (LoadKind, String, String, Bool) -> Void)?

        package init(
            defaultDuration: Duration = .seconds(1),
            totalBytes: Int64 = 1 << 20,
            onRun: (@Sendable (LoadKind, String, String, Bool) -> Void)? = nil
        ) {
            self.defaultDuration = defaultDuration
            self.totalBytes = totalBytes
            self.onRun = onRun
        }
    }

    package var configuration: Configuration

    package init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// The simulated duration of a load.
    package func duration(of load: LoadObject) -> Duration {
        guard let text = load.object["metadata"]?["annotations"]?[Self.durationAnnotation]?.stringValue,
            let seconds = Double(text), seconds >= 0, seconds.isFinite
        else { return configuration.defaultDuration }
        return .milliseconds(Int64(seconds * 1000))
    }

    package func run(
        _ load: LoadObject,
        node: String,
        resumed: Bool,
        progress: @escaping @Sendable (Int64, Int64) -> Void
    ) async throws -> DataPathResult {
        configuration.onRun?(load.kind, load.name, node, resumed)
        var remaining = duration(of: load)
        if resumed, let started = load.startTime {
            let elapsed = Date().timeIntervalSince(started)
            remaining = max(.zero, remaining - .milliseconds(Int64(elapsed * 1000)))
        }
        // No progress reports: each would cost the scheduling benchmark an API write; the result carries it.
        try await Task.sleep(for: remaining)
        if let failure = load.object["metadata"]?["annotations"]?[Self.failureAnnotation]?.stringValue {
            throw NodeAgentError(code: .dataPathFailed, message: failure)
        }
        return DataPathResult(
            totalBytes: configuration.totalBytes,
            path: "/simulated/\(load.name)",
            snapshotID: load.kind == .dataUpload || load.kind == .podVolumeBackup ? "sim-\(load.uid.prefix(8))" : nil
        )
    }
}
