public import Kubernetes

/// `velero.io/v1` DeleteBackupRequest (`delete_backup_request_types.go`): asks the server to delete a backup.
///
/// Velero creates it with `generateName: <backup>-` and the labels ``VeleroLabels/backupName`` and
/// ``VeleroLabels/backupUID``.
public struct DeleteBackupRequest: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "DeleteBackupRequest", plural: "deletebackuprequests")

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
        public var backupName: String

        public init(backupName: String = "") { self.backupName = backupName }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// `New`, `InProgress` or `Processed`.
        public var phase: String?
        public var errors: [String]?

        public init(phase: String? = nil, errors: [String]? = nil) {
            self.phase = phase
            self.errors = errors
        }
    }
}
