public import Kubernetes

/// `velero.io/v2alpha1` DataDownload (`pkg/apis/velero/v2alpha1/data_download_types.go`): restores a DataUpload's
/// data into a volume.
public struct DataDownload: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v2alpha1", kind: "DataDownload", plural: "datadownloads")

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

    public struct TargetVolumeSpec: Codable, Sendable, Hashable {
        public var pvc: String
        public var pv: String
        public var namespace: String

        public init(pvc: String = "", pv: String = "", namespace: String = "") {
            self.pvc = pvc
            self.pv = pv
            self.namespace = namespace
        }
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var targetVolume: TargetVolumeSpec
        public var backupStorageLocation: String
        public var datamover: String?
        public var snapshotID: String
        public var sourceNamespace: String
        public var dataMoverConfig: [String: String]?
        public var cancel: Bool?
        /// A Go duration, e.g. `10m0s`.
        public var operationTimeout: String?
        /// `linux`, `windows` or `auto`.
        public var nodeOS: String?
        public var snapshotSize: Int64?

        public init(
            targetVolume: TargetVolumeSpec = TargetVolumeSpec(), backupStorageLocation: String = "",
            snapshotID: String = "", sourceNamespace: String = ""
        ) {
            self.targetVolume = targetVolume
            self.backupStorageLocation = backupStorageLocation
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
        public var node: String?
        public var acceptedByNode: String?
        public var acceptedTimestamp: String?

        public init(phase: String? = nil) { self.phase = phase }
    }
}
