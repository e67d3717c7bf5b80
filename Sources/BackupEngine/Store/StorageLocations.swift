import Foundation
public import Kubernetes
public import Logging
public import ObjectStorage

/// Backup storage locations as `velero.io/v1` BackupStorageLocation CRs in the install namespace,
/// and the stores they point at.
public struct StorageLocations: Sendable {
    public static let resource = GroupVersionResource(group: "velero.io", version: "v1", resource: "backupstoragelocations")

    public let client: KubeClient
    public let namespace: String
    public let factory: ObjectStoreFactory
    public let logger: Logger

    public init(client: KubeClient, namespace: String, factory: ObjectStoreFactory, logger: Logger) {
        self.client = client
        self.namespace = namespace
        self.factory = factory
        self.logger = logger
    }

    /// Every location in the namespace.
    /// - Throws: `.notFound` when the velero.io CRDs are not installed.
    public func list() async throws -> [BackupStorageLocation] {
        do {
            let list = try await client.list(Self.resource, namespace: namespace)
            return try list.items.map { try $0.value.decode(as: BackupStorageLocation.self) }
        } catch let error as KubeError where error.code == .notFound {
            throw BackupEngineError(code: .notFound, message: "the velero.io CRDs are not installed in the cluster (run `lifeboat install --crds-only`)")
        }
    }

    /// The named location, or the default one when `name` is nil.
    /// - Throws: `.notFound` naming the location (or saying there is no default).
    public func get(_ name: String?) async throws -> BackupStorageLocation {
        if let name, !name.isEmpty {
            do {
                let object = try await client.get(Self.resource, namespace: namespace, name: name)
                return try object.value.decode(as: BackupStorageLocation.self)
            } catch let error as KubeError where error.code == .notFound {
                throw BackupEngineError(code: .notFound, message: "backup storage location \(name.debugDescription) not found in namespace \(namespace)")
            }
        }
        let all = try await list()
        if let location = all.first(where: { $0.spec.default == true }) { return location }
        if let location = all.first(where: { $0.metadata.name == "default" }) { return location }
        throw BackupEngineError(
            code: .notFound,
            message: "no default backup storage location in namespace \(namespace) (create one with `lifeboat backup-location create NAME --default …` or pass --storage-location)")
    }

    /// The store a location points at, with credentials from its Secret.
    /// - Throws: `.invalidLocation` for a bad configuration; `.notFound` for a missing credential Secret or key.
    public func store(for location: BackupStorageLocation) async throws -> BackupStore {
        var credentialText: String?
        if let credential = location.spec.credential {
            credentialText = try await secretValue(name: credential.name, key: credential.key, location: location)
        }
        let objectLocation = ObjectStoreLocation(
            provider: location.spec.provider, bucket: location.spec.objectStorage.bucket, prefix: "",
            config: location.spec.config ?? [:], credential: credentialText, caCert: location.spec.objectStorage.caCert)
        do {
            let store = try factory.makeBucketStore(for: objectLocation, logger: logger)
            return BackupStore(store: store, prefix: location.spec.objectStorage.prefix)
        } catch {
            throw BackupEngineError(code: .invalidLocation, message: "backup storage location \(location.metadata.name ?? ""): \(error)")
        }
    }

    /// A location that a backup may write to: it exists, is not read-only, and answers.
    public func writableStore(_ name: String?) async throws -> (BackupStorageLocation, BackupStore) {
        let location = try await get(name)
        if location.isReadOnly {
            throw BackupEngineError(code: .readOnlyLocation, message: "backup storage location \(location.metadata.name ?? "") is read-only (accessMode ReadOnly); nothing was written")
        }
        let store = try await store(for: location)
        do {
            try await store.validate()
        } catch let error as BackupEngineError {
            throw BackupEngineError(code: error.code, message: "backup storage location \(location.metadata.name ?? ""): \(error.message)", cause: error.cause)
        }
        return (location, store)
    }

    private func secretValue(name: String, key: String, location: BackupStorageLocation) async throws -> String {
        let secrets = GroupVersionResource(group: "", version: "v1", resource: "secrets")
        let where_ = "credential of backup storage location \(location.metadata.name ?? "")"
        let secret: KubeObject
        do {
            secret = try await client.get(secrets, namespace: namespace, name: name)
        } catch let error as KubeError where error.code == .notFound {
            throw BackupEngineError(code: .notFound, message: "\(where_): secret \(namespace)/\(name) not found")
        }
        guard let encoded = secret["data"]?[key]?.stringValue, let data = Data(base64Encoded: encoded) else {
            throw BackupEngineError(code: .notFound, message: "\(where_): secret \(namespace)/\(name) has no key \(key.debugDescription)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - validation (Velero's rules)

    /// Checks a location spec the way Velero does before it is stored.
    /// - Returns: every problem, empty when valid.
    public static func validationErrors(_ spec: BackupStorageLocation.Spec) -> [String] {
        var errors: [String] = []
        if spec.provider.isEmpty { errors.append("provider must not be empty") }
        let bucket = spec.objectStorage.bucket
        if bucket.isEmpty { errors.append("bucket must not be empty") }
        if bucket.contains("/") && !bucket.hasPrefix("arn:aws:s3:") && spec.provider != "filesystem" {
            errors.append("bucket \(bucket.debugDescription) must not contain a '/' (put sub-folders in --prefix)")
        }
        if spec.provider == "filesystem" && !bucket.hasPrefix("/") {
            errors.append("bucket \(bucket.debugDescription) of provider filesystem must be an absolute folder path")
        }
        if let mode = spec.accessMode, mode != "ReadWrite" && mode != "ReadOnly" {
            errors.append("accessMode \(mode.debugDescription) is invalid: must be ReadWrite or ReadOnly")
        }
        if let prefix = spec.objectStorage.prefix, prefix.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            errors.append("prefix \(prefix.debugDescription) must not contain '.' or '..' segments")
        }
        return errors
    }
}
