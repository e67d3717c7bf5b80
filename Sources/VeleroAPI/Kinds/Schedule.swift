package import Kubernetes

/// `velero.io/v1` Schedule (`pkg/apis/velero/v1/schedule_types.go`): a Backup template run on a cron schedule.
package struct Schedule: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "Schedule",
        plural: "schedules"
    )

    package var apiVersion: String = Self.kindInfo.apiVersion
    package var kind: String = Self.kindInfo.kind
    package var metadata: ObjectMeta
    package var spec: Spec
    package var status: Status?
    package var preserved = PreservedJSON()

    package init(metadata: ObjectMeta, spec: Spec = Spec(), status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    package init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    package func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }

    package struct Spec: Codable, Sendable, Hashable {
        /// The spec of each Backup the schedule creates.
        package var template: BackupSpec
        /// A cron expression (`@every 1h` and the like are accepted too).
        package var schedule: String
        package var useOwnerReferencesInBackup: Bool?
        package var paused: Bool?
        package var skipImmediately: Bool?

        package init(template: BackupSpec = BackupSpec(), schedule: String = "") {
            self.template = template
            self.schedule = schedule
        }
    }

    package struct Status: Codable, Sendable, Hashable {
        /// `New`, `Enabled` or `FailedValidation` (``SchedulePhase``).
        package var phase: String?
        package var lastBackup: String?
        package var lastSkipped: String?
        package var validationErrors: [String]?

        package init(phase: String? = nil) { self.phase = phase }
    }
}

/// Schedule phases.
package enum SchedulePhase {
    package static let new = "New"
    package static let enabled = "Enabled"
    package static let failedValidation = "FailedValidation"
}
