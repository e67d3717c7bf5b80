public import Kubernetes

/// `velero.io/v1` BackupStorageLocation (`backupstoragelocation_types.go`).
public struct BackupStorageLocation: VeleroResource {
    public static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name, version: "v1", kind: "BackupStorageLocation", plural: "backupstoragelocations",
        shortNames: ["bsl"])

    public struct ObjectStorageSpec: Codable, Sendable, Hashable {
        public var bucket: String
        public var prefix: String?
        /// Base64 PEM bundle (Go `[]byte`).
        public var caCert: String?
        /// The Secret key holding the CA bundle (exclusive with `caCert`).
        public var caCertRef: SecretKeySelector?
        public init(bucket: String, prefix: String? = nil) {
            self.bucket = bucket
            self.prefix = prefix
        }
    }
    public struct Spec: Codable, Sendable, Hashable {
        public var provider: String
        public var config: [String: String]?
        public var credential: SecretKeySelector?
        public var objectStorage: ObjectStorageSpec
        public var `default`: Bool?
        public var accessMode: String?
        public var backupSyncPeriod: String?
        public var validationFrequency: String?

        public init(provider: String, objectStorage: ObjectStorageSpec) {
            self.provider = provider
            self.objectStorage = objectStorage
        }
    }
    public struct Status: Codable, Sendable, Hashable {
        public var phase: String?
        public var lastSyncedTime: String?
        public var lastValidationTime: String?
        public var message: String?
        public var lastSyncedRevision: String?
        /// Deprecated in Velero (the spec's `accessMode` is the one that counts).
        public var accessMode: String?
        public init(phase: String? = nil) { self.phase = phase }
    }

    public var apiVersion: String = Self.kindInfo.apiVersion
    public var kind: String = Self.kindInfo.kind
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?
    public var preserved = PreservedJSON()

    public init(metadata: ObjectMeta, spec: Spec, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }

    /// `ReadOnly` or `ReadWrite` (the default).
    public var isReadOnly: Bool { spec.accessMode == "ReadOnly" }
}

/// BackupStorageLocation phases.
public enum BackupStorageLocationPhase {
    public static let available = "Available"
    public static let unavailable = "Unavailable"
}
