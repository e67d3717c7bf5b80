import Foundation
package import Kubernetes
package import Logging
package import ObjectStorage

/// Backup storage locations (`velero.io/v1` BackupStorageLocation CRs in the install namespace) and the object
/// stores they point at: the provider (`aws` and S3-compatible stores, `filesystem`), the bucket, the `config`
/// keys, the CA bundle and the credential read from its Secret.
///
/// The backup engine, the node agent and the controllers share it, so a location means the same store everywhere.
///
/// ```swift
/// let locations = StorageLocationResolver(client: client, namespace: "velero", factory: factory, logger: logger)
/// let location = try await locations.get(nil)                  // the default location
/// let store = try await locations.bucketStore(for: location)   // keys relative to the bucket
/// ```
package struct StorageLocationResolver: Sendable {
    package let client: KubeClient
    package let namespace: String
    package let factory: ObjectStoreFactory
    package let logger: Logger

    package init(client: KubeClient, namespace: String, factory: ObjectStoreFactory, logger: Logger) {
        self.client = client
        self.namespace = namespace
        self.factory = factory
        self.logger = logger
    }

    /// Every location in the namespace.
    /// - Throws: `.notFound` when the velero.io CRDs are not installed.
    package func list() async throws -> [BackupStorageLocation] {
        do {
            let list = try await client.list(BackupStorageLocation.resource, namespace: namespace)
            return try list.items.map { try $0.value.decode(as: BackupStorageLocation.self) }
        } catch let error as KubeError where error.code == .notFound {
            throw VeleroAPIError(
                code: .notFound,
                message: "the velero.io CRDs are not installed in the cluster (run `lifeboat install --crds-only`)"
            )
        }
    }

    /// The named location, or the default one when `name` is nil or empty (`spec.default`, else the one named
    /// `default`).
    /// - Throws: `.notFound` naming the location (or saying there is no default).
    package func get(_ name: String?) async throws -> BackupStorageLocation {
        if let name, !name.isEmpty {
            do {
                let object = try await client.get(BackupStorageLocation.resource, namespace: namespace, name: name)
                return try object.value.decode(as: BackupStorageLocation.self)
            } catch let error as KubeError where error.code == .notFound {
                throw VeleroAPIError(
                    code: .notFound,
                    message: "backup storage location \(name.debugDescription) not found in namespace \(namespace)"
                )
            }
        }
        let all = try await list()
        if let location = all.first(where: { $0.spec.default == true }) { return location }
        if let location = all.first(where: { $0.metadata.name == "default" }) { return location }
        throw VeleroAPIError(
            code: .notFound,
            message: "no default backup storage location in namespace \(namespace) (create one with "
                + "`lifeboat backup-location create NAME --default …` or pass --storage-location)"
        )
    }

    /// Where a location's objects live, with the credential read from its Secret and the CA bundle from
    /// `caCert` or `caCertRef`.
    /// - Throws: `.notFound` for a missing credential Secret or key.
    package func objectStoreLocation(for location: BackupStorageLocation) async throws -> ObjectStoreLocation {
        var credential: String?
        if let selector = location.spec.credential {
            credential = try await secretValue(selector, purpose: "credential", location: location)
        }
        var caCert = location.spec.objectStorage.caCert
        if caCert == nil, let selector = location.spec.objectStorage.caCertRef {
            caCert = try await secretValue(selector, purpose: "caCertRef", location: location)
        }
        return ObjectStoreLocation(
            provider: location.spec.provider,
            bucket: location.spec.objectStorage.bucket,
            prefix: location.spec.objectStorage.prefix,
            config: location.spec.config ?? [:],
            credential: credential,
            caCert: caCert
        )
    }

    /// The store for the location's whole bucket (the location's prefix is not applied).
    /// - Throws: `.notFound` for a missing credential; `.invalidLocation` when no store can be made.
    package func bucketStore(for location: BackupStorageLocation) async throws -> any ObjectStore {
        let objectLocation = try await objectStoreLocation(for: location)
        do {
            return try factory.makeBucketStore(for: objectLocation, logger: logger)
        } catch {
            throw VeleroAPIError(
                code: .invalidLocation,
                message: "backup storage location \(location.metadata.name ?? ""): \(error)"
            )
        }
    }

    /// The store for the location with keys relative to its prefix and then `subpath` (e.g. a repository's
    /// `kopia/<namespace>`).
    /// - Throws: `.notFound` for a missing credential; `.invalidLocation` when no store can be made.
    package func store(for location: BackupStorageLocation, subpath: String = "") async throws -> any ObjectStore {
        let objectLocation = try await objectStoreLocation(for: location)
        do {
            return try factory.makeStore(for: objectLocation, subpath: subpath, logger: logger)
        } catch {
            throw VeleroAPIError(
                code: .invalidLocation,
                message: "backup storage location \(location.metadata.name ?? ""): \(error)"
            )
        }
    }

    private func secretValue(
        _ selector: SecretKeySelector,
        purpose: String,
        location: BackupStorageLocation
    ) async throws -> String {
        let context = "\(purpose) of backup storage location \(location.metadata.name ?? "")"
        let secret: KubeObject
        do {
            secret = try await client.get(.secrets, namespace: namespace, name: selector.name)
        } catch let error as KubeError where error.code == .notFound {
            throw VeleroAPIError(code: .notFound, message: "\(context): secret \(namespace)/\(selector.name) not found")
        }
        guard let encoded = secret["data"]?[selector.key]?.stringValue, let data = Data(base64Encoded: encoded) else {
            throw VeleroAPIError(
                code: .notFound,
                message: "\(context): secret \(namespace)/\(selector.name) has no key \(selector.key.debugDescription)"
            )
        }
        return String(decoding: data, as: UTF8.self)
    }
}
