/// The phase of a load (`status.phase`): New → Accepted → Prepared → InProgress → Completed | Failed |
/// Canceled, with Canceling between InProgress and Canceled.
package enum LoadPhase: String, Sendable, Hashable, CaseIterable {
    case new = "New"
    case accepted = "Accepted"
    case prepared = "Prepared"
    case inProgress = "InProgress"
    case canceling = "Canceling"
    case canceled = "Canceled"
    case completed = "Completed"
    case failed = "Failed"

    /// Reads `status.phase`; an absent or empty phase is New.
    package init(status phase: String?) {
        self = phase.flatMap { LoadPhase(rawValue: $0) } ?? .new
    }

    /// Completed, Failed and Canceled.
    package var isFinal: Bool { self == .completed || self == .failed || self == .canceled }

    /// The phases this phase may move to, as Velero's controllers move loads.
    package var successors: Set<LoadPhase> {
        switch self {
        case .new: [.accepted, .canceled, .failed]
        case .accepted: [.prepared, .canceled, .failed]
        case .prepared: [.inProgress, .canceled, .failed]
        case .inProgress: [.canceling, .completed, .failed]
        case .canceling: [.canceled, .completed, .failed]
        case .canceled, .completed, .failed: []
        }
    }

    /// Whether a load may move from this phase to `next`.
    package func canMove(to next: LoadPhase) -> Bool { successors.contains(next) }
}
