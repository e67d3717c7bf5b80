package import Kubernetes

/// `velero.io/v2alpha1` DataDownload (`pkg/apis/velero/v2alpha1/data_download_types.go`): restores a DataUpload's
/// data into a volume.
package struct DataDownload: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v2alpha1",
        kind: "DataDownload",
        plural: "datadownloads"
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

    package struct TargetVolumeSpec: Codable, Sendable, Hashable {
        package var pvc: String
        package var pv: String
        package var namespace: String

        package init(pvc: String = "", pv: String = "", namespace: String = "") {
            self.pvc = pvc
            self.pv = pv
            self.namespace = namespace
        }
    }

    package struct Spec: Codable, Sendable, Hashable {
        package var targetVolume: TargetVolumeSpec
        package var backupStorageLocation: String
        package var datamover: String?
        package var snapshotID: String
        package var sourceNamespace: String
        package var dataMoverConfig: [String: String]?
        package var cancel: Bool?
        /// A Go duration, e.g. `10m0s`.
        package var operationTimeout: String?
        /// `linux`, `windows` or `auto`.
        package var nodeOS: String?
        package var snapshotSize: Int64?

        package init(
            targetVolume: TargetVolumeSpec = TargetVolumeSpec(),
            backupStorageLocation: String = "",
            snapshotID: String = "",
            sourceNamespace: String = ""
        ) {
            self.targetVolume = targetVolume
            self.backupStorageLocation = backupStorageLocation
            self.snapshotID = snapshotID
            self.sourceNamespace = sourceNamespace
        }
    }

    package struct Status: Codable, Sendable, Hashable {
        /// ``DataMovePhase``.
        package var phase: String?
        package var message: String?
        package var startTimestamp: String?
        package var completionTimestamp: String?
        package var progress: DataMoveProgress?
        package var node: String?
        package var acceptedByNode: String?
        package var acceptedTimestamp: String?

        package init(phase: String? = nil) { self.phase = phase }
    }
}
