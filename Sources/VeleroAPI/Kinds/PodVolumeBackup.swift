package import Kubernetes

/// `velero.io/v1` PodVolumeBackup (`pod_volume_backup_types.go`): a file-system backup of one pod volume.
package struct PodVolumeBackup: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "PodVolumeBackup",
        plural: "podvolumebackups"
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
        /// The node of the pod whose volume is backed up.
        package var node: String
        package var pod: ObjectReference
        package var volume: String
        package var backupStorageLocation: String
        package var repoIdentifier: String
        /// `kopia` or `restic`.
        package var uploaderType: String?
        package var tags: [String: String]?
        package var uploaderSettings: [String: String]?
        package var cancel: Bool?

        package init(
            node: String = "",
            pod: ObjectReference = ObjectReference(),
            volume: String = "",
            backupStorageLocation: String = "",
            repoIdentifier: String = ""
        ) {
            self.node = node
            self.pod = pod
            self.volume = volume
            self.backupStorageLocation = backupStorageLocation
            self.repoIdentifier = repoIdentifier
        }
    }

    package struct Status: Codable, Sendable, Hashable {
        /// ``DataMovePhase``.
        package var phase: String?
        /// The backed-up path inside the node's volume folder.
        package var path: String?
        package var snapshotID: String?
        package var message: String?
        package var startTimestamp: String?
        package var completionTimestamp: String?
        package var progress: DataMoveProgress?
        package var incrementalBytes: Int64?
        package var acceptedTimestamp: String?

        package init(phase: String? = nil) { self.phase = phase }
    }
}
