package import Foundation
package import VeleroAPI

/// What the DownloadRequest controller does with a request (Velero's `downloadRequestReconciler`): a request past
/// its `status.expiration` is deleted whatever its phase; a processed one waits for its expiration; a new one (no
/// phase, or `New`) gets its URL.
package enum DownloadRequestStep: Sendable, Equatable {
    case delete
    /// Nothing to do until `recheck` (its expiration), or ever when nil.
    case wait(recheck: Date?)
    case process

    /// How long a download URL is valid, and a processed request kept (Velero's `persistence.DownloadURLTTL`).
    package static let urlTTL: Duration = .seconds(600)

    package static func decide(_ request: DownloadRequest, now: Date) -> DownloadRequestStep {
        let expiration = request.status?.expiration.flatMap(Timestamps.parse)
        if let expiration, expiration < now { return .delete }
        let phase = request.status?.phase ?? ""
        if phase == "" || phase == "New" { return .process }
        return .wait(recheck: expiration)
    }
}

/// What the ServerStatusRequest controller does with a request (Velero's `serverStatusRequestReconciler`): a new one
/// is answered with the server's version and plugins; a processed one is deleted a minute after it was processed.
package enum ServerStatusRequestStep: Sendable, Equatable {
    case answer
    case delete
    /// Look again at this time (Velero re-checks every 5 minutes; here at the expiry itself).
    case wait(recheck: Date)
    /// A phase Velero does not know: an error, as in Velero.
    case unexpected(String)

    /// How long an answered request is kept (Velero's `ttl`).
    package static let ttl: TimeInterval = 60

    package static func decide(_ request: ServerStatusRequest, now: Date) -> ServerStatusRequestStep {
        switch request.status?.phase ?? "" {
        case "", "New":
            return .answer
        case "Processed":
            let processed = request.status?.processedTimestamp.flatMap(Timestamps.parse) ?? .distantPast
            let expiry = processed.addingTimeInterval(ttl)
            return expiry > now ? .wait(recheck: expiry) : .delete
        case let phase:
            return .unexpected(phase)
        }
    }
}
