package import Kubernetes

/// `velero.io/v1` VolumeSnapshotLocation (`volume_snapshot_location_type.go`): where native volume snapshots go.
package struct VolumeSnapshotLocation: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "VolumeSnapshotLocation",
        plural: "volumesnapshotlocations",
        shortNames: ["vsl"]
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
        package var provider: String
        package var config: [String: String]?
        package var credential: SecretKeySelector?

        package init(provider: String = "") { self.provider = provider }
    }

    package struct Status: Codable, Sendable, Hashable {
        /// `Available` or `Unavailable`.
        package var phase: String?

        package init(phase: String? = nil) { self.phase = phase }
    }
}
