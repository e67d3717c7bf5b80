package import Kubernetes

/// Transitions of a load object (DataUpload, DataDownload, PodVolumeBackup, PodVolumeRestore) with the
/// status fields Velero's controllers set. Each function returns the updated object; the controller writes
/// it with an update that carries the read `resourceVersion`, so concurrent node agents conflict and only
/// one wins (optimistic concurrency).
///
/// ```swift
/// let accepted = try LoadObject(kind: .dataUpload, object: du).accepted(byNode: "n1", at: now)
/// ```
package struct LoadObject: Sendable, Hashable {
    package var kind: LoadKind
    /// The object (JSON).
    package var object: JSONValue

    package init(kind: LoadKind, object: JSONValue) {
        self.kind = kind
        self.object = object
    }

    /// `status.phase` (absent = New).
    package var phase: LoadPhase { LoadPhase(status: object["status"]?["phase"]?.stringValue) }
    /// `spec.cancel`.
    package var cancelRequested: Bool { object["spec"]?["cancel"]?.boolValue ?? false }
    /// `metadata.deletionTimestamp` is set.
    package var isBeingDeleted: Bool { object["metadata"]?["deletionTimestamp"].map { !$0.isNull } ?? false }
    /// Whether the load carries `velero.io/expose-on-going=true`.
    package var isExposing: Bool { object["metadata"]?["labels"]?[LoadLabels.exposeOnGoing] == "true" }
    /// The prepare-queue slot whose ticket the accepting node agent took (Lifeboat's annotation, see
    /// ``withPrepareQueueSlot(_:)``).
    package var prepareQueueSlot: Int? {
        object["metadata"]?["annotations"]?[PrepareQueue.slotAnnotation]?.stringValue.flatMap { Int($0) }
    }
    /// Whether the kind's finalizer (``LoadKind/finalizer``) is present.
    package var hasFinalizer: Bool {
        object["metadata"]?["finalizers"]?.arrayValue?.contains(.string(kind.finalizer)) ?? false
    }

    private func moving(to next: LoadPhase) throws -> LoadObject {
        guard phase.canMove(to: next) else {
            throw NodeAgentError(
                code: .invalidTransition,
                message:
                    "\(kind.rawValue) \(object["metadata"]?["name"]?.stringValue ?? "?") cannot move from \(phase.rawValue) to \(next.rawValue)"
            )
        }
        var copy = self
        copy.object[path: ["status", "phase"]] = .string(next.rawValue)
        return copy
    }

    private mutating func setLabel(_ key: String, _ value: String?) {
        var labels = object["metadata"]?["labels"]?.objectValue ?? [:]
        labels[key] = value.map(JSONValue.string)
        object[path: ["metadata", "labels"]] = labels.isEmpty ? nil : .object(labels)
    }

    private mutating func setStatus(_ key: String, _ value: JSONValue?) {
        object[path: ["status", key]] = value
    }

    // MARK: - Transitions

    /// Adds the finalizer (non-final loads carry it so deletion can cancel them first).
    package func withFinalizer() -> LoadObject {
        guard !hasFinalizer, !phase.isFinal else { return self }
        var copy = self
        let list = (object["metadata"]?["finalizers"]?.arrayValue ?? []) + [.string(kind.finalizer)]
        copy.object[path: ["metadata", "finalizers"]] = .array(list)
        return copy
    }

    /// Records the prepare-queue slot whose ticket was taken for the load (nil: none, nothing changes).
    package func withPrepareQueueSlot(_ slot: Int?) -> LoadObject {
        guard let slot else { return self }
        var copy = self
        copy.object[path: ["metadata", "annotations", PrepareQueue.slotAnnotation]] = .string(String(slot))
        return copy
    }

    /// Removes the finalizer (once the load is final).
    package func withoutFinalizer() -> LoadObject {
        var copy = self
        let list = (object["metadata"]?["finalizers"]?.arrayValue ?? []).filter { $0 != .string(kind.finalizer) }
        copy.object[path: ["metadata", "finalizers"]] = list.isEmpty ? nil : .array(list)
        return copy
    }

    /// New → Accepted: `acceptedTimestamp`, label `velero.io/expose-on-going=true`, and the accepting node
    /// where the kind records it: `status.acceptedByNode` (DataUpload, DataDownload), `status.node`
    /// (PodVolumeRestore); a PodVolumeBackup's node is its `spec.node` already.
    package func accepted(byNode node: String, at time: String) throws -> LoadObject {
        var next = try moving(to: .accepted)
        switch kind {
        case .dataUpload, .dataDownload: next.setStatus("acceptedByNode", .string(node))
        case .podVolumeRestore: next.setStatus("node", .string(node))
        case .podVolumeBackup: break
        }
        next.setStatus("acceptedTimestamp", .string(time))
        next.setLabel(LoadLabels.exposeOnGoing, "true")
        return next
    }

    /// Accepted → Prepared: the hosting pod runs on `node` (`status.node`; a PodVolumeBackup has no
    /// `status.node`, its node is `spec.node`).
    package func prepared(onNode node: String) throws -> LoadObject {
        var next = try moving(to: .prepared)
        if kind != .podVolumeBackup { next.setStatus("node", .string(node)) }
        return next
    }

    /// Prepared → InProgress: `startTimestamp`, `nodeOS` (data movement), the expose-on-going label removed.
    package func started(at time: String, nodeOS: String = "linux") throws -> LoadObject {
        var next = try moving(to: .inProgress)
        next.setStatus("startTimestamp", .string(time))
        if kind.usesLoadAffinity && kind == .dataUpload { next.setStatus("nodeOS", .string(nodeOS)) }
        next.setLabel(LoadLabels.exposeOnGoing, nil)
        return next
    }

    /// Progress of the data path (`status.progress {totalBytes, bytesDone}`).
    package func progressing(totalBytes: Int64, bytesDone: Int64) -> LoadObject {
        var copy = self
        copy.setStatus("progress", ["totalBytes": .int(totalBytes), "bytesDone": .int(bytesDone)])
        return copy
    }

    /// → Completed with the backup result; an empty snapshot gets Velero's message (``LoadKind/emptySnapshotMessage``).
    package func completed(
        at time: String,
        path: String? = nil,
        snapshotID: String? = nil,
        incrementalBytes: Int64? = nil,
        emptySnapshot: Bool = false
    ) throws -> LoadObject {
        var next = try moving(to: .completed)
        if let path { next.setStatus("path", .string(path)) }
        if let snapshotID { next.setStatus("snapshotID", .string(snapshotID)) }
        if let incrementalBytes { next.setStatus("incrementalBytes", .int(incrementalBytes)) }
        if emptySnapshot { next.setStatus("message", .string(kind.emptySnapshotMessage)) }
        next.setStatus("completionTimestamp", .string(time))
        return next
    }

    /// → Failed with `message` (Velero writes `<msg>: <err>`); the start time is filled in if missing.
    package func failed(at time: String, message: String) throws -> LoadObject {
        var next = try moving(to: .failed)
        if next.object["status"]?["startTimestamp"] == nil { next.setStatus("startTimestamp", .string(time)) }
        next.setStatus("completionTimestamp", .string(time))
        next.setStatus("message", .string(message))
        next.setLabel(LoadLabels.exposeOnGoing, nil)
        return next
    }

    /// Fails an Accepted load that has waited `timeout` or longer since `acceptedTimestamp`.
    package func failingPrepareTimeout(
        now: Double,
        acceptedAt: Double,
        timeout: Double,
        at time: String
    ) throws -> LoadObject? {
        guard phase == .accepted, now - acceptedAt >= timeout else { return nil }
        return try failed(at: time, message: kind.prepareTimeoutMessage)
    }

    /// Sets `spec.cancel = true` (with the reason in `status.message`); deleting a non-final load uses
    /// Velero's deletion message.
    package func cancelRequested(message: String? = nil) -> LoadObject {
        var copy = self
        copy.object[path: ["spec", "cancel"]] = true
        copy.setStatus("message", .string(message ?? kind.deletionCancelMessage))
        return copy
    }

    /// InProgress + cancel → Canceling.
    package func canceling() throws -> LoadObject { try moving(to: .canceling) }

    /// → Canceled (from New, Accepted, Prepared or Canceling).
    package func canceled(at time: String) throws -> LoadObject {
        var next = try moving(to: .canceled)
        if next.object["status"]?["startTimestamp"] == nil { next.setStatus("startTimestamp", .string(time)) }
        next.setStatus("completionTimestamp", .string(time))
        next.setLabel(LoadLabels.exposeOnGoing, nil)
        return next
    }
}
