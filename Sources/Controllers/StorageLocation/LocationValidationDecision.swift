package import Foundation
import Kubernetes
package import VeleroAPI

/// When the BackupStorageLocation controller validates a location, and what it records (Velero 1.18's
/// `backupStorageLocationReconciler` and `storage.IsReadyToValidate`), decided without touching the cluster.
///
/// - The frequency is `spec.validationFrequency`, else the server's `--store-validation-frequency`; a negative one
///   takes the server's.
/// - A location never validated (no `status.lastValidationTime`) is validated whatever its frequency.
/// - A frequency of 0 disables validation after that first one.
/// - Otherwise it is validated once `lastValidationTime + frequency` is reached.
/// - Unlike Velero, which looks at every location every 10 seconds, the controller comes back exactly when the
///   next validation is due (``requeueAfter``).
package struct LocationValidationDecision: Sendable, Equatable {
    /// Whether to validate now.
    package var validate: Bool
    /// When to look at the location again (nil: only when it changes).
    package var requeueAfter: Duration?

    package init(validate: Bool, requeueAfter: Duration?) {
        self.validate = validate
        self.requeueAfter = requeueAfter
    }

    /// Decides for `location` at `now`.
    ///
    /// - Parameters:
    ///   - location: the location as read.
    ///   - serverFrequency: `--store-validation-frequency`.
    ///   - now: the current time.
    package static func decide(
        _ location: BackupStorageLocation,
        serverFrequency: Duration,
        now: Date
    ) -> LocationValidationDecision {
        let frequency = Self.frequency(of: location, serverFrequency: serverFrequency)
        guard let text = location.status?.lastValidationTime, let last = Timestamps.parse(text) else {
            return LocationValidationDecision(validate: true, requeueAfter: frequency > .zero ? frequency : nil)
        }
        guard frequency > .zero else { return LocationValidationDecision(validate: false, requeueAfter: nil) }
        let next = last.addingTimeInterval(Self.seconds(frequency))
        if now >= next { return LocationValidationDecision(validate: true, requeueAfter: frequency) }
        return LocationValidationDecision(validate: false, requeueAfter: delay(from: now, to: next))
    }

    /// The validation frequency of `location`: its own, else (unset, unreadable or negative) the server's.
    package static func frequency(of location: BackupStorageLocation, serverFrequency: Duration) -> Duration {
        guard let text = location.spec.validationFrequency, let own = GoDuration.parse(text), own >= .zero else {
            return serverFrequency
        }
        return own
    }

    /// The status after a validation at `now`: `Available` without a message, or `Unavailable` with Velero's
    /// message (`BackupStorageLocation "NAME" is unavailable: …`).
    ///
    /// - Parameter error: why the location cannot be used, nil when it can.
    package static func status(
        of location: BackupStorageLocation,
        error: String?,
        now: Date
    ) -> BackupStorageLocation.Status {
        var status = location.status ?? BackupStorageLocation.Status()
        status.lastValidationTime = Timestamps.format(now)
        if let error {
            status.phase = BackupStorageLocationPhase.unavailable
            status.message = "BackupStorageLocation \"\(location.metadata.name ?? "")\" is unavailable: \(error)"
        } else {
            status.phase = BackupStorageLocationPhase.available
            status.message = nil
        }
        return status
    }

    /// Velero's `ensureSingleDefaultBSL`: of several default locations, the most recently created stays default.
    /// - Returns: the names of the locations whose `spec.default` must be set to false.
    package static func defaultsToUnset(_ locations: [BackupStorageLocation]) -> [String] {
        let defaults = locations.filter { $0.spec.default == true }
        guard defaults.count > 1 else { return [] }
        var newest = defaults[0]
        for location in defaults.dropFirst() {
            let created = location.metadata.creationTimestamp.flatMap(Timestamps.parse) ?? .distantPast
            let newestCreated = newest.metadata.creationTimestamp.flatMap(Timestamps.parse) ?? .distantPast
            if newestCreated < created { newest = location }
        }
        return defaults.compactMap(\.metadata.name).filter { $0 != newest.metadata.name }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The wait from `now` until `date` (at least a millisecond).
    static func delay(from now: Date, to date: Date) -> Duration {
        let seconds = max(0, date.timeIntervalSince(now))
        return .milliseconds(max(1, Int64((seconds * 1000).rounded(.up))))
    }
}
