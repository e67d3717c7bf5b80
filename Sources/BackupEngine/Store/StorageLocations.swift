import Foundation
package import Kubernetes
package import Logging
package import ObjectStorage
package import VeleroAPI

/// Backup storage locations as `velero.io/v1` BackupStorageLocation CRs in the install namespace,
/// and the backup stores they point at (resolved by VeleroAPI's ``StorageLocationResolver``).
package struct StorageLocations: Sendable {
    package static let resource = BackupStorageLocation.resource

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

    private var resolver: StorageLocationResolver {
        StorageLocationResolver(client: client, namespace: namespace, factory: factory, logger: logger)
    }

    /// Every location in the namespace.
    /// - Throws: `.notFound` when the velero.io CRDs are not installed.
    package func list() async throws -> [BackupStorageLocation] {
        try await Self.mapErrors { try await resolver.list() }
    }

    /// The named location, or the default one when `name` is nil.
    /// - Throws: `.notFound` naming the location (or saying there is no default).
    package func get(_ name: String?) async throws -> BackupStorageLocation {
        try await Self.mapErrors { try await resolver.get(name) }
    }

    /// The store a location points at, with credentials from its Secret.
    /// - Throws: `.invalidLocation` for a bad configuration; `.notFound` for a missing credential Secret or key.
    package func store(for location: BackupStorageLocation) async throws -> BackupStore {
        let store = try await Self.mapErrors { try await resolver.bucketStore(for: location) }
        return BackupStore(store: store, prefix: location.spec.objectStorage.prefix)
    }

    /// VeleroAPI's errors as this module's, with the same code and message.
    private static func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as VeleroAPIError {
            let code: BackupEngineError.Code = error.code == .notFound ? .notFound : .invalidLocation
            throw BackupEngineError(code: code, message: error.message, cause: error.cause)
        }
    }

    /// A location that a backup may write to: it exists, is not read-only, and answers.
    package func writableStore(_ name: String?) async throws -> (BackupStorageLocation, BackupStore) {
        let location = try await get(name)
        if location.isReadOnly {
            throw BackupEngineError(
                code: .readOnlyLocation,
                message:
                    "backup storage location \(location.metadata.name ?? "") is read-only (accessMode ReadOnly); nothing was written"
            )
        }
        return (location, try await checkedStore(for: location, write: true))
    }

    /// The store of `location`, checked before a run: reachable and laid out as Velero expects (Velero's
    /// validation), and with `write`, able to hold a backup (``BackupStore/probe()``).
    /// - Throws: `BackupEngineError` whose message starts with `backup storage location "NAME": `.
    package func checkedStore(for location: BackupStorageLocation, write: Bool) async throws -> BackupStore {
        do {
            let store = try await store(for: location)
            try await store.validate()
            if write { try await store.probe() }
            return store
        } catch let error as BackupEngineError {
            throw BackupEngineError(
                code: error.code,
                message: "\(Self.describe(location)): \(error.message)",
                cause: error.cause
            )
        } catch {
            throw BackupEngineError(code: .storageUnavailable, message: Self.describe(location), cause: error)
        }
    }

    /// `backup storage location "NAME"`, the prefix of every error about a location.
    package static func describe(_ location: BackupStorageLocation) -> String {
        "backup storage location \"\(location.metadata.name ?? "")\""
    }

    /// Checks `location` as `backup-location create` does: validation and the write probe (a read-only location
    /// is only validated).
    /// - Returns: the status to record: `Available`, or `Unavailable` with the reason in `message`.
    package func validationStatus(of location: BackupStorageLocation) async -> BackupStorageLocation.Status {
        var status = BackupStorageLocation.Status(phase: "Available")
        status.lastValidationTime = Timestamps.now()
        do {
            _ = try await checkedStore(for: location, write: !location.isReadOnly)
        } catch {
            status.phase = "Unavailable"
            status.message = "\(error)"
        }
        return status
    }

    // MARK: - validation (Velero's rules)

    /// Checks a location spec the way Velero does before it is stored.
    /// - Returns: every problem, empty when valid.
    package static func validationErrors(_ spec: BackupStorageLocation.Spec) -> [String] {
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
        if let prefix = spec.objectStorage.prefix,
            prefix.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        {
            errors.append("prefix \(prefix.debugDescription) must not contain '.' or '..' segments")
        }
        return errors
    }
}
