public import Kubernetes

/// `velero.io/v1` ServerStatusRequest (`server_status_request_types.go`): asks the server for its version
/// and plugins.
public struct ServerStatusRequest: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "ServerStatusRequest", plural: "serverstatusrequests",
        shortNames: ["ssr"])

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

    /// Empty in Velero 1.18.
    public struct Spec: Codable, Sendable, Hashable {
        public init() {}
    }

    public struct PluginInfo: Codable, Sendable, Hashable {
        public var name: String
        public var kind: String

        public init(name: String, kind: String) {
            self.name = name
            self.kind = kind
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// `New` or `Processed`.
        public var phase: String?
        public var processedTimestamp: String?
        public var serverVersion: String?
        public var plugins: [PluginInfo]?

        public init(phase: String? = nil) { self.phase = phase }
    }
}
