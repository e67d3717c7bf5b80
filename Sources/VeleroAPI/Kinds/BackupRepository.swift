public import Kubernetes

/// `velero.io/v1` BackupRepository (`backup_repository_types.go`): one repository per namespace, location and
/// repository type.
public struct BackupRepository: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "BackupRepository", plural: "backuprepositories")

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
        public var volumeNamespace: String
        public var backupStorageLocation: String
        /// `kopia`, or `restic` (legacy).
        public var repositoryType: String?
        public var resticIdentifier: String
        /// A Go duration, e.g. `1h0m0s`.
        public var maintenanceFrequency: String
        public var repositoryConfig: [String: String]?

        public init(
            volumeNamespace: String = "", backupStorageLocation: String = "", repositoryType: String? = nil,
            resticIdentifier: String = "", maintenanceFrequency: String = ""
        ) {
            self.volumeNamespace = volumeNamespace
            self.backupStorageLocation = backupStorageLocation
            self.repositoryType = repositoryType
            self.resticIdentifier = resticIdentifier
            self.maintenanceFrequency = maintenanceFrequency
        }
    }

    public struct MaintenanceStatus: Codable, Sendable, Hashable {
        /// `Succeeded` or `Failed`.
        public var result: String?
        public var startTimestamp: String?
        public var completeTimestamp: String?
        public var message: String?

        public init(result: String? = nil) { self.result = result }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// `New`, `Ready` or `NotReady`.
        public var phase: String?
        public var message: String?
        public var lastMaintenanceTime: String?
        public var recentMaintenance: [MaintenanceStatus]?

        public init(phase: String? = nil) { self.phase = phase }
    }
}
