package import Kubernetes

/// `velero.io/v1` DeleteBackupRequest (`delete_backup_request_types.go`): asks the server to delete a backup.
///
/// Velero creates it with `generateName: <backup>-` and the labels ``VeleroLabels/backupName`` and
/// ``VeleroLabels/backupUID``.
package struct DeleteBackupRequest: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "DeleteBackupRequest",
        plural: "deletebackuprequests"
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
        package var backupName: String

        package init(backupName: String = "") { self.backupName = backupName }
    }

    package struct Status: Codable, Sendable, Hashable {
        /// `New`, `InProgress` or `Processed`.
        package var phase: String?
        package var errors: [String]?

        package init(phase: String? = nil, errors: [String]? = nil) {
            self.phase = phase
            self.errors = errors
        }
    }
}
