public import Kubernetes

/// `velero.io/v2alpha1` DataUpload (`pkg/apis/velero/v2alpha1/data_upload_types.go`): moves a CSI snapshot's data
/// to a repository.
public struct DataUpload: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v2alpha1", kind: "DataUpload", plural: "datauploads")

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

    public struct CSISnapshotSpec: Codable, Sendable, Hashable {
        public var volumeSnapshot: String
        public var storageClass: String
        public var snapshotClass: String?
        public var driver: String?

        public init(volumeSnapshot: String = "", storageClass: String = "", snapshotClass: String? = nil) {
            self.volumeSnapshot = volumeSnapshot
            self.storageClass = storageClass
            self.snapshotClass = snapshotClass
        }
    }

    public struct Spec: Codable, Sendable, Hashable {
        /// `CSI`.
        public var snapshotType: String
        public var csiSnapshot: CSISnapshotSpec?
        public var sourcePVC: String
        public var datamover: String?
        public var backupStorageLocation: String
        public var sourceNamespace: String
        public var dataMoverConfig: [String: String]?
        public var cancel: Bool?
        /// A Go duration, e.g. `10m0s`.
        public var operationTimeout: String?

        public init(
            snapshotType: String = "CSI", csiSnapshot: CSISnapshotSpec? = nil, sourcePVC: String = "",
            backupStorageLocation: String = "", sourceNamespace: String = ""
        ) {
            self.snapshotType = snapshotType
            self.csiSnapshot = csiSnapshot
            self.sourcePVC = sourcePVC
            self.backupStorageLocation = backupStorageLocation
            self.sourceNamespace = sourceNamespace
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// ``DataMovePhase``.
        public var phase: String?
        public var path: String?
        public var snapshotID: String?
        public var dataMoverResult: [String: String]?
        public var message: String?
        public var startTimestamp: String?
        public var completionTimestamp: String?
        public var progress: DataMoveProgress?
        public var incrementalBytes: Int64?
        public var node: String?
        /// `linux`, `windows` or `auto`.
        public var nodeOS: String?
        public var acceptedByNode: String?
        public var acceptedTimestamp: String?

        public init(phase: String? = nil) { self.phase = phase }
    }
}
