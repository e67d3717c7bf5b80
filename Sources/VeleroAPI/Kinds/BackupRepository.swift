package import Kubernetes

/// `velero.io/v1` BackupRepository (`backup_repository_types.go`): one repository per namespace, location and
/// repository type.
package struct BackupRepository: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "BackupRepository",
        plural: "backuprepositories"
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
        package var volumeNamespace: String
        package var backupStorageLocation: String
        /// `kopia`, or `restic` (legacy).
        package var repositoryType: String?
        package var resticIdentifier: String
        /// A Go duration, e.g. `1h0m0s`.
        package var maintenanceFrequency: String
        package var repositoryConfig: [String: String]?

        package init(
            volumeNamespace: String = "",
            backupStorageLocation: String = "",
            repositoryType: String? = nil,
            resticIdentifier: String = "",
            maintenanceFrequency: String = ""
        ) {
            self.volumeNamespace = volumeNamespace
            self.backupStorageLocation = backupStorageLocation
            self.repositoryType = repositoryType
            self.resticIdentifier = resticIdentifier
            self.maintenanceFrequency = maintenanceFrequency
        }
    }

    package struct MaintenanceStatus: Codable, Sendable, Hashable {
        /// `Succeeded` or `Failed`.
        package var result: String?
        package var startTimestamp: String?
        package var completeTimestamp: String?
        package var message: String?

        package init(result: String? = nil) { self.result = result }
    }

    package struct Status: Codable, Sendable, Hashable {
        /// `New`, `Ready` or `NotReady`.
        package var phase: String?
        package var message: String?
        package var lastMaintenanceTime: String?
        package var recentMaintenance: [MaintenanceStatus]?

        package init(phase: String? = nil) { self.phase = phase }
    }
}
