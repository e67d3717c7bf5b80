public import Kubernetes

/// `velero.io/v1` PodVolumeRestore (`pod_volume_restore_type.go`): a file-system restore of one pod volume.
public struct PodVolumeRestore: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "PodVolumeRestore", plural: "podvolumerestores")

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
        public var pod: ObjectReference
        public var volume: String
        public var backupStorageLocation: String
        public var repoIdentifier: String
        /// `kopia` or `restic`.
        public var uploaderType: String?
        public var snapshotID: String
        public var sourceNamespace: String
        public var uploaderSettings: [String: String]?
        public var cancel: Bool?
        public var snapshotSize: Int64?

        public init(
            pod: ObjectReference = ObjectReference(), volume: String = "", backupStorageLocation: String = "",
            repoIdentifier: String = "", snapshotID: String = "", sourceNamespace: String = ""
        ) {
            self.pod = pod
            self.volume = volume
            self.backupStorageLocation = backupStorageLocation
            self.repoIdentifier = repoIdentifier
            self.snapshotID = snapshotID
            self.sourceNamespace = sourceNamespace
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// ``DataMovePhase``.
        public var phase: String?
        public var message: String?
        public var startTimestamp: String?
        public var completionTimestamp: String?
        public var progress: DataMoveProgress?
        public var acceptedTimestamp: String?
        /// The node that ran the restore.
        public var node: String?

        public init(phase: String? = nil) { self.phase = phase }
    }
}
