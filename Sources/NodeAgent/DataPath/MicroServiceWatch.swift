import Foundation
package import Kubernetes
package import VeleroAPI

/// The node agent's watch of one data-path micro-service, as a pure value (Velero's
/// `pkg/datapath/micro_service_watcher.go`): it is fed the load's `Data-Path-*` Events and the hosting pod's
/// states, and decides when progress is reported and how the data path ended.
///
/// Until the hosting pod ends, `Data-Path-Progress` events are forwarded and `Data-Path-Started` /
/// `Data-Path-Stopped` remembered. Once the pod is `Succeeded` or `Failed`, the watch waits for both of those
/// events (the micro-service records them before it exits, but they may arrive after the pod's status) at most
/// ``eventWaitTimeout`` — never longer — and then reads the outcome from the container's termination message:
/// the result JSON of a succeeded pod, the error of a failed one (Velero's `data path is canceled` at its end
/// means canceled). A hosting pod that disappears ends the watch with a failure.
///
/// ```swift
/// var watch = MicroServiceWatch(kind: .podVolumeBackup, pod: "velero/pvb-1")
/// watch.handle(.event(reason: DataPathMessages.reasonStarted, message: ""))   // .idle
/// watch.handle(.pod(.succeeded(message: #"{"snapshotID":"abc","emptySnapshot":false,"source":{…}}"#)))
/// ```
package struct MicroServiceWatch: Sendable, Equatable {
    /// Velero's `eventWaitTimeout`: how long a finished pod's Started/Stopped events are waited for.
    package static let eventWaitTimeout: Duration = .seconds(60)

    /// What the hosting pod is doing.
    package enum PodState: Sendable, Equatable {
        /// Not finished (pending or running).
        case active
        /// `Succeeded`, with its container's termination message.
        case succeeded(message: String)
        /// `Failed`, with its container's termination message and a description of how it ended (exit code,
        /// reason) for when the message is empty.
        case failed(message: String, detail: String)
        /// Deleted, or not found.
        case gone
    }

    /// What the watch is fed.
    package enum Input: Sendable, Equatable {
        /// A `Data-Path-*` Event of the load (added or updated).
        case event(reason: String, message: String)
        /// The hosting pod as read or watched.
        case pod(PodState)
        /// The wait for the final events ran out.
        case eventWaitExpired
        /// A watch of the events or of the pod failed for good.
        case watchFailed(String)
    }

    /// How the data path ended.
    package enum Outcome: Sendable, Equatable {
        case completed(DataPathResult)
        case failed(String)
        case canceled
    }

    /// What to do after an input.
    package enum Decision: Sendable, Equatable {
        /// Nothing to do.
        case idle
        /// Report progress (`totalBytes`, `bytesDone`).
        case progress(totalBytes: Int64, bytesDone: Int64)
        /// The pod ended before both final events came: wait ``eventWaitTimeout`` at most, then feed
        /// ``Input/eventWaitExpired``.
        case waitForEvents
        /// The data path is over.
        case finish(Outcome)
    }

    /// The load's kind (backups parse a backup result, restores a restore result).
    package let kind: LoadKind
    /// `<namespace>/<name>` of the hosting pod, for messages.
    package let pod: String
    /// `Data-Path-Started` was seen.
    package private(set) var started = false
    /// `Data-Path-Stopped` was seen.
    package private(set) var stopped = false
    /// The pod's final state, once it ended.
    package private(set) var ended: PodState?
    /// The outcome, once decided (nothing is decided after it).
    package private(set) var outcome: Outcome?

    package init(kind: LoadKind, pod: String) {
        self.kind = kind
        self.pod = pod
    }

    /// Applies one input.
    package mutating func handle(_ input: Input) -> Decision {
        guard outcome == nil else { return .idle }
        switch input {
        case .event(let reason, let message):
            return event(reason: reason, message: message)
        case .pod(.active):
            return .idle
        case .pod(.gone):
            guard ended == nil else { return .idle }
            return finish(.failed("the data path pod \(pod) is gone before it finished"))
        case .pod(let state):
            guard ended == nil else { return .idle }
            ended = state
            return started && stopped ? finishFromPod() : .waitForEvents
        case .eventWaitExpired:
            return ended == nil ? .idle : finishFromPod()
        case .watchFailed(let message):
            return finish(.failed("watching the data path pod \(pod) failed: \(message)"))
        }
    }

    private mutating func event(reason: String, message: String) -> Decision {
        switch reason {
        case DataPathMessages.reasonStarted: started = true
        case DataPathMessages.reasonStopped: stopped = true
        case DataPathMessages.reasonProgress:
            guard ended == nil, let progress = Self.progress(from: message) else { return .idle }
            return .progress(totalBytes: progress.totalBytes, bytesDone: progress.doneBytes)
        default: return .idle
        }
        return ended != nil && started && stopped ? finishFromPod() : .idle
    }

    private mutating func finish(_ outcome: Outcome) -> Decision {
        self.outcome = outcome
        return .finish(outcome)
    }

    private mutating func finishFromPod() -> Decision {
        switch ended {
        case .succeeded(let message): return finish(result(from: message))
        case .failed(let message, let detail):
            if message.hasSuffix(DataPathMessages.canceledMessageSuffix) { return finish(.canceled) }
            return finish(.failed(message.isEmpty ? "data path pod \(pod) failed: \(detail)" : message))
        case .active, .gone, nil: return .idle
        }
    }

    /// A `Data-Path-Progress` message (`{"totalBytes":…,"doneBytes":…}`), nil when it is not one.
    package static func progress(from message: String) -> DataPathProgressMessage? {
        try? JSONDecoder().decode(DataPathProgressMessage.self, from: Data(message.utf8))
    }

    /// The outcome of a succeeded pod: its termination message as a backup result (``DataPathBackupResult``:
    /// `snapshotID`, `emptySnapshot`, `source.byPath`, `totalBytes`, `incrementalBytes`) or a restore result
    /// (``DataPathRestoreResult``: `totalBytes`), read as leniently as Go's `json.Unmarshal` (missing fields are
    /// zero). Unlike Velero, which completes with an empty result when the message does not parse, a backup
    /// without a result (or without a snapshot ID for a volume that was not empty) fails: a Completed backup
    /// must have its data.
    func result(from message: String) -> Outcome {
        let unreadable = "the data path pod \(pod) succeeded without a result in its termination message"
        guard let json = try? JSONValue(parsing: message), json.objectValue != nil else {
            return .failed("\(unreadable): \(message.debugDescription)")
        }
        let totalBytes = json["totalBytes"]?.intValue ?? 0
        guard kind.isBackup else { return .completed(DataPathResult(totalBytes: totalBytes)) }
        let snapshotID = json["snapshotID"]?.stringValue ?? ""
        let emptySnapshot = json["emptySnapshot"]?.boolValue ?? false
        guard !snapshotID.isEmpty || emptySnapshot else { return .failed("\(unreadable): \(message.debugDescription)") }
        let path = json["source"]?["byPath"]?.stringValue ?? ""
        let incrementalBytes = json["incrementalBytes"]?.intValue ?? 0
        return .completed(
            DataPathResult(
                totalBytes: totalBytes,
                path: path.isEmpty ? nil : path,
                snapshotID: snapshotID.isEmpty ? nil : snapshotID,
                incrementalBytes: incrementalBytes == 0 ? nil : incrementalBytes,
                emptySnapshot: emptySnapshot
            )
        )
    }

    /// The state of a hosting pod (nil: gone), its outcome read from `container`'s termination message (the
    /// first container's when none has that name).
    package static func podState(_ pod: JSONValue?, container: String) -> PodState {
        guard let pod else { return .gone }
        let phase = pod["status"]?["phase"]?.stringValue ?? ""
        guard phase == "Succeeded" || phase == "Failed" else { return .active }
        let statuses = pod["status"]?["containerStatuses"]?.arrayValue ?? []
        let status = statuses.first { $0["name"]?.stringValue == container } ?? statuses.first
        let terminated = status?["state"]?["terminated"]
        let message = terminated?["message"]?.stringValue ?? ""
        if phase == "Succeeded" { return .succeeded(message: message) }
        var detail = "exit code \(terminated?["exitCode"]?.intValue.map(String.init) ?? "unknown")"
        if let reason = terminated?["reason"]?.stringValue ?? pod["status"]?["reason"]?.stringValue {
            detail += " (\(reason))"
        }
        return .failed(message: message, detail: detail)
    }
}
