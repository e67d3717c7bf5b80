package import Kubernetes

/// `velero.io/v1` BackupStorageLocation (`backupstoragelocation_types.go`).
package struct BackupStorageLocation: VeleroResource {
    package static let kindInfo = CustomResourceKind(
        group: VeleroAPIGroup.name,
        version: "v1",
        kind: "BackupStorageLocation",
        plural: "backupstoragelocations",
        shortNames: ["bsl"]
    )

    package struct ObjectStorageSpec: Codable, Sendable, Hashable {
        package var bucket: String
        package var prefix: String?
        /// Base64 PEM bundle (Go `[]byte`).
        package var caCert: String?
        /// The Secret key holding the CA bundle (exclusive with `caCert`).
        package var caCertRef: SecretKeySelector?
        package init(bucket: String, prefix: String? = nil) {
            self.bucket = bucket
            self.prefix = prefix
        }
    }
    package struct Spec: Codable, Sendable, Hashable {
        package var provider: String
        package var config: [String: String]?
        package var credential: SecretKeySelector?
        package var objectStorage: ObjectStorageSpec
        package var `default`: Bool?
        package var accessMode: String?
        package var backupSyncPeriod: String?
        package var validationFrequency: String?

        package init(provider: String, objectStorage: ObjectStorageSpec) {
            self.provider = provider
            self.objectStorage = objectStorage
        }
    }
    package struct Status: Codable, Sendable, Hashable {
        package var phase: String?
        package var lastSyncedTime: String?
        package var lastValidationTime: String?
        package var message: String?
        package var lastSyncedRevision: String?
        /// Deprecated in Velero (the spec's `accessMode` is the one that counts).
        package var accessMode: String?
        package init(phase: String? = nil) { self.phase = phase }
    }

    package var apiVersion: String = Self.kindInfo.apiVersion
    package var kind: String = Self.kindInfo.kind
    package var metadata: ObjectMeta
    package var spec: Spec
    package var status: Status?
    package var preserved = PreservedJSON()

    package init(metadata: ObjectMeta, spec: Spec, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    package init(from decoder: any Decoder) throws { try self.init(resourceFrom: decoder) }
    package func encode(to encoder: any Encoder) throws { try encodeResource(to: encoder) }

    /// `ReadOnly` or `ReadWrite` (the default).
    package var isReadOnly: Bool { spec.accessMode == "ReadOnly" }
}

/// BackupStorageLocation phases.
package enum BackupStorageLocationPhase {
    package static let available = "Available"
    package static let unavailable = "Unavailable"
}
