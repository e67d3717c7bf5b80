package import Kubernetes

/// `velero.io/v1` PodVolumeRestore (`pod_volume_restore_type.go`): a file-system restore of one pod volume.
package struct PodVolumeRestore: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "PodVolumeRestore",
        plural: "podvolumerestores"
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
        package var pod: ObjectReference
        package var volume: String
        package var backupStorageLocation: String
        package var repoIdentifier: String
        /// `kopia` or `restic`.
        package var uploaderType: String?
        package var snapshotID: String
        package var sourceNamespace: String
        package var uploaderSettings: [String: String]?
        package var cancel: Bool?
        package var snapshotSize: Int64?

        package init(
            pod: ObjectReference = ObjectReference(),
            volume: String = "",
            backupStorageLocation: String = "",
            repoIdentifier: String = "",
            snapshotID: String = "",
            sourceNamespace: String = ""
        ) {
            self.pod = pod
            self.volume = volume
            self.backupStorageLocation = backupStorageLocation
            self.repoIdentifier = repoIdentifier
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
        package var acceptedTimestamp: String?
        /// The node that ran the restore.
        package var node: String?

        package init(phase: String? = nil) { self.phase = phase }
    }
}
