package import Kubernetes

/// `velero.io/v1` ServerStatusRequest (`server_status_request_types.go`): asks the server for its version
/// and plugins.
package struct ServerStatusRequest: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "ServerStatusRequest",
        plural: "serverstatusrequests",
        shortNames: ["ssr"]
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

    /// Empty in Velero 1.18.
    package struct Spec: Codable, Sendable, Hashable {
        package init() {}
    }

    package struct PluginInfo: Codable, Sendable, Hashable {
        package var name: String
        package var kind: String

        package init(name: String, kind: String) {
            self.name = name
            self.kind = kind
        }
    }

    package struct Status: Codable, Sendable, Hashable {
        /// `New` or `Processed`.
        package var phase: String?
        package var processedTimestamp: String?
        package var serverVersion: String?
        package var plugins: [PluginInfo]?

        package init(phase: String? = nil) { self.phase = phase }
    }
}
