public import Kubernetes

/// `velero.io/v1` VolumeSnapshotLocation (`volume_snapshot_location_type.go`): where native volume snapshots go.
public struct VolumeSnapshotLocation: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "VolumeSnapshotLocation", plural: "volumesnapshotlocations",
        shortNames: ["vsl"])

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
        public var provider: String
        public var config: [String: String]?
        public var credential: SecretKeySelector?

        public init(provider: String = "") { self.provider = provider }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// `Available` or `Unavailable`.
        public var phase: String?

        public init(phase: String? = nil) { self.phase = phase }
    }
}
