public import Kubernetes

/// `velero.io/v1` Schedule (`pkg/apis/velero/v1/schedule_types.go`): a Backup template run on a cron schedule.
public struct Schedule: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "Schedule", plural: "schedules")

    public var apiVersion: String = Self.kindInfo.apiVersion
    public var kind: String = Self.kindInfo.kind
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?
    public var preserved = PreservedJSON()

    public init(metadata: ObjectMeta, spec: Spec = Spec(), status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }

    public struct Spec: Codable, Sendable, Hashable {
        /// The spec of each Backup the schedule creates.
        public var template: BackupSpec
        /// A cron expression (`@every 1h` and the like are accepted too).
        public var schedule: String
        public var useOwnerReferencesInBackup: Bool?
        public var paused: Bool?
        public var skipImmediately: Bool?

        public init(template: BackupSpec = BackupSpec(), schedule: String = "") {
            self.template = template
            self.schedule = schedule
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// `New`, `Enabled` or `FailedValidation` (``SchedulePhase``).
        public var phase: String?
        public var lastBackup: String?
        public var lastSkipped: String?
        public var validationErrors: [String]?

        public init(phase: String? = nil) { self.phase = phase }
    }
}

/// Schedule phases.
public enum SchedulePhase {
    public static let new = "New"
    public static let enabled = "Enabled"
    public static let failedValidation = "FailedValidation"
}
