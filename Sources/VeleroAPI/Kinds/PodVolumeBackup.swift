public import Kubernetes

/// `velero.io/v1` PodVolumeBackup (`pod_volume_backup_types.go`): a file-system backup of one pod volume.
public struct PodVolumeBackup: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "PodVolumeBackup", plural: "podvolumebackups")

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
        /// The node of the pod whose volume is backed up.
        public var node: String
        public var pod: ObjectReference
        public var volume: String
        public var backupStorageLocation: String
        public var repoIdentifier: String
        /// `kopia` or `restic`.
        public var uploaderType: String?
        public var tags: [String: String]?
        public var uploaderSettings: [String: String]?
        public var cancel: Bool?

        public init(
            node: String = "", pod: ObjectReference = ObjectReference(), volume: String = "",
            backupStorageLocation: String = "", repoIdentifier: String = ""
        ) {
            self.node = node
            self.pod = pod
            self.volume = volume
            self.backupStorageLocation = backupStorageLocation
            self.repoIdentifier = repoIdentifier
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// ``DataMovePhase``.
        public var phase: String?
        /// The backed-up path inside the node's volume folder.
        public var path: String?
        public var snapshotID: String?
        public var message: String?
        public var startTimestamp: String?
        public var completionTimestamp: String?
        public var progress: DataMoveProgress?
        public var incrementalBytes: Int64?
        public var acceptedTimestamp: String?

        public init(phase: String? = nil) { self.phase = phase }
    }
}
