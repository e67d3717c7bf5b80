import Foundation
import Kubernetes

/// The phase transitions of a load as this node agent sees them (Velero's `data_upload_controller.go`
/// Reconcile and its siblings): what a reconcile does next, given the load as the view holds it.
extension LoadStateMachine {
    /// What a reconcile does next. The executor performs it and, for the steps that continue, asks again
    /// with the load as written (``step(for:now:runsHere:)``).
    enum Step: Sendable, Hashable {
        /// Nothing for this node agent now: another node's load, or it waits for a change.
        case idle
        /// Look again after this long.
        case requeue(after: Duration)
        /// Set `spec.cancel` with this message (Velero's): the load is being deleted, or its data-mover pod
        /// ended in an abnormal status.
        case requestCancel(message: String)
        /// A New load whose cancel was requested: straight to Canceled.
        case cancelNew
        /// A New load this node may take: apply the admission rule (``admitNew(_:committing:)``), take a
        /// prepare-queue ticket, accept it and expose it.
        case admit
        /// Expose the accepted load (again), then ask again.
        case expose
        /// Its data-mover pod runs on this node: move it to Prepared, then ask again.
        case markPrepared
        /// A slot is reserved for its data path: move it to InProgress and start the data path.
        case startDataPath
        /// Its data path runs here and a cancel was requested: move it to Canceling, then signal the data path.
        case cancelDataPath
        /// Canceling and its data path runs here (the cancel is recorded): signal the data path.
        case signalCancel
        /// InProgress on this node but no data path runs here (this node agent restarted): read it again
        /// and resume it (``resumeDataPath(_:)``).
        case resume
        /// Clean up its exposure and end it in this phase (`.failed` with the message, or `.canceled`).
        case finish(LoadPhase, message: String?)
        /// Final: clean up, drop the finalizer and the expose label, return its prepare-queue ticket.
        case release
    }

    /// What a reconcile of `load` does next at `now`. `runsHere`: for a New load, whether this node may run
    /// it (file-system backup and restore run only on the node of their pod; the executor reads a
    /// PodVolumeRestore's pod).
    mutating func step(for load: LoadObject, now: Date, runsHere: Bool = true) -> Step {
        if load.isBeingDeleted && !load.phase.isFinal {
            guard load.hasFinalizer else { return .idle }
            if !load.cancelRequested {
                guard isResponsible(for: load) else { return .idle }
                return .requestCancel(message: load.kind.deletionCancelMessage)
            }
        }
        let key = LoadKey(kind: load.kind, name: load.name)
        switch load.phase {
        case .new:
            guard runsHere else { return .idle }
            return load.cancelRequested ? .cancelNew : .admit
        case .accepted:
            return acceptedStep(load, key, now: now)
        case .prepared:
            guard load.node == node else { return .idle }
            if load.cancelRequested { return .finish(.canceled, message: nil) }
            return reserveDataPath(key, resumed: false).map { Step.requeue(after: $0) } ?? .startDataPath
        case .inProgress:
            guard load.node == node else { return .idle }
            if slots.isRunning(key) { return load.cancelRequested ? .cancelDataPath : .idle }
            return .resume
        case .canceling:
            guard load.node == node else { return .idle }
            return slots.requestCancel(key) ? .signalCancel : .finish(.canceled, message: nil)
        case .completed, .failed, .canceled:
            return (load.hasFinalizer || load.isExposing) && isResponsible(for: load) ? .release : .idle
        }
    }

    private mutating func acceptedStep(_ load: LoadObject, _ key: LoadKey, now: Date) -> Step {
        let pod = exposedPod(of: load)
        let accepter = load.acceptedByNode == node
        let mine = accepter || pod != nil
        if load.cancelRequested { return mine ? .finish(.canceled, message: nil) : .idle }
        let deadline = prepareDeadline(load, now: now)
        if case .expired(let message) = deadline { return mine ? .finish(.failed, message: message) : .idle }
        // Expose again while a DataUpload waits for its snapshot, and once after a restart.
        if accepter && needsExposure(key) { return .expose }
        switch pod?["status"]?["phase"]?.stringValue {
        case "Running":
            return .markPrepared
        case .some(let phase) where phase == "Failed" || phase == "Succeeded":
            return .requestCancel(
                message: "found a \(load.kind.rawValue.lowercased()) \(load.namespace)/\(load.name) with expose error: "
                    + "pod \(load.name) is in abnormal status \(phase)"
            )
        default:
            break
        }
        guard accepter, case .remaining(let remaining) = deadline else { return .idle }
        return .requeue(after: remaining)
    }

    /// A load found InProgress on this node with no data path here, read again as `fresh`: whether to
    /// resume its data path (a resumed load bypasses the node's concurrency), write Canceling (its cancel was
    /// requested), or leave it (it moved on meanwhile).
    mutating func resumeStep(_ fresh: LoadObject?) -> Step {
        guard let fresh, fresh.phase == .inProgress, fresh.node == node else { return .idle }
        if fresh.cancelRequested { return .cancelDataPath }
        let key = LoadKey(kind: fresh.kind, name: fresh.name)
        return reserveDataPath(key, resumed: true).map { Step.requeue(after: $0) } ?? .startDataPath
    }
}
