/// `velero.io/v1` BackupStorageLocation (`backupstoragelocation_types.go`).
public struct BackupStorageLocation: Codable, Sendable, Hashable {
    public struct ObjectStorageSpec: Codable, Sendable, Hashable {
        public var bucket: String
        public var prefix: String?
        public var caCert: String?
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
        public init(phase: String? = nil) { self.phase = phase }
    }

    public var apiVersion: String = "velero.io/v1"
    public var kind: String = "BackupStorageLocation"
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// `ReadOnly` or `ReadWrite` (the default).
    public var isReadOnly: Bool { spec.accessMode == "ReadOnly" }
}
