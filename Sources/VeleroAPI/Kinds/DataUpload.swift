package import Kubernetes

/// `velero.io/v2alpha1` DataUpload (`pkg/apis/velero/v2alpha1/data_upload_types.go`): moves a CSI snapshot's data
/// to a repository.
package struct DataUpload: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v2alpha1",
        kind: "DataUpload",
        plural: "datauploads"
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

    package struct CSISnapshotSpec: Codable, Sendable, Hashable {
        package var volumeSnapshot: String
        package var storageClass: String
        package var snapshotClass: String?
        package var driver: String?

        package init(volumeSnapshot: String = "", storageClass: String = "", snapshotClass: String? = nil) {
            self.volumeSnapshot = volumeSnapshot
            self.storageClass = storageClass
            self.snapshotClass = snapshotClass
        }
    }

    package struct Spec: Codable, Sendable, Hashable {
        /// `CSI`.
        package var snapshotType: String
        package var csiSnapshot: CSISnapshotSpec?
        package var sourcePVC: String
        package var datamover: String?
        package var backupStorageLocation: String
        package var sourceNamespace: String
        package var dataMoverConfig: [String: String]?
        package var cancel: Bool?
        /// A Go duration, e.g. `10m0s`.
        package var operationTimeout: String?

        package init(
            snapshotType: String = "CSI",
            csiSnapshot: CSISnapshotSpec? = nil,
            sourcePVC: String = "",
            backupStorageLocation: String = "",
            sourceNamespace: String = ""
        ) {
            self.snapshotType = snapshotType
            self.csiSnapshot = csiSnapshot
            self.sourcePVC = sourcePVC
            self.backupStorageLocation = backupStorageLocation
            self.sourceNamespace = sourceNamespace
        }
    }

    package struct Status: Codable, Sendable, Hashable {
        /// ``DataMovePhase``.
        package var phase: String?
        package var path: String?
        package var snapshotID: String?
        package var dataMoverResult: [String: String]?
        package var message: String?
        package var startTimestamp: String?
        package var completionTimestamp: String?
        package var progress: DataMoveProgress?
        package var incrementalBytes: Int64?
        package var node: String?
        /// `linux`, `windows` or `auto`.
        package var nodeOS: String?
        package var acceptedByNode: String?
        package var acceptedTimestamp: String?

        package init(phase: String? = nil) { self.phase = phase }
    }
}
