import Foundation
package import Kubernetes
package import Logging
import ObjectStorage
package import VeleroAPI
import VolumeRepository

/// Makes sure the pod volume repositories a backup writes to exist, as Velero's repository ensurer and
/// BackupRepository controller do together (`pkg/repository/ensurer.go`, `backup_repo_op.go`,
/// `backup_repository_controller.go`):
///
/// - the password Secret `velero-repo-credentials` (key `repository-password`) of the install namespace, created
///   with a random password when absent — unless a repository already exists in the location, which that
///   password could not open: then a clear error naming the Secret and key, and nothing is created;
/// - the restic-format repository at `<prefix>/restic/<volume namespace>` in the location, initialized when absent
///   and opened (which checks the password) when present — unless its BackupRepository is already `Ready`, which
///   Velero's ensurer takes as it is;
/// - one BackupRepository per (volume namespace, location, `restic`) named `<ns>-<location>-restic`, labelled
///   `velero.io/volume-namespace`, `velero.io/storage-location`, `velero.io/repository-type`, with
///   `resticIdentifier` and `maintenanceFrequency` (`168h0m0s`), in phase `Ready`.
///
/// Results are cached for the run: each repository is checked once per backup.
package actor PodVolumeRepositoryEnsurer {
    /// Velero's `restic.DefaultMaintenanceFrequency` (7 days), as a Go duration.
    package static let maintenanceFrequency = "168h0m0s"

    private let client: KubeClient
    private let namespace: String
    private let location: BackupStorageLocation
    private let resolver: StorageLocationResolver
    private let logger: Logger
    private var password: String?
    private var ready: [String: BackupRepository] = [:]

    /// - Parameters:
    ///   - namespace: the install namespace (the Secret's and the BackupRepositories').
    ///   - location: the backup's storage location.
    ///   - resolver: resolves the location to object stores.
    package init(
        client: KubeClient,
        namespace: String,
        location: BackupStorageLocation,
        resolver: StorageLocationResolver,
        logger: Logger
    ) {
        self.client = client
        self.namespace = namespace
        self.location = location
        self.resolver = resolver
        self.logger = logger
    }

    private var locationName: String { location.metadata.name ?? "" }

    /// The ready BackupRepository of `volumeNamespace`'s repository, creating what is missing.
    /// - Throws: `BackupEngineError` naming the Secret and key, the repository or the API call at fault.
    package func ensure(volumeNamespace: String) async throws -> BackupRepository {
        if let repository = ready[volumeNamespace] { return repository }
        let password = try await repositoryPassword()
        let identifier = PodVolumeRepositories.repoIdentifier(location: location, volumeNamespace: volumeNamespace)
        if let repository = await readyRecordAsItIs(volumeNamespace: volumeNamespace, identifier: identifier) {
            ready[volumeNamespace] = repository
            return repository
        }
        try await prepareRepository(volumeNamespace: volumeNamespace, password: password, identifier: identifier)
        let repository = try await readyRecord(volumeNamespace: volumeNamespace, identifier: identifier)
        ready[volumeNamespace] = repository
        return repository
    }

    // MARK: - password

    /// The repositories' password: the Secret's, or a new random one in a new Secret when no repository exists.
    package func repositoryPassword() async throws -> String {
        if let password { return password }
        let secretName = PodVolumeRepositories.passwordSecretName
        let key = PodVolumeRepositories.passwordSecretKey
        let described = "Secret \(namespace)/\(secretName) (key \(key))"
        let existing: KubeObject?
        do {
            existing = try await client.get(.secrets, namespace: namespace, name: secretName)
        } catch let error as KubeError where error.code == .notFound {
            existing = nil
        }
        if let existing {
            guard let encoded = existing["data"]?[key]?.stringValue, let data = Data(base64Encoded: encoded),
                !data.isEmpty
            else {
                throw BackupEngineError(
                    code: .notFound,
                    message: "the repository password \(described) has no value for key \(key); "
                        + "put the pod volume repositories' password there (nothing was changed)"
                )
            }
            let value = String(decoding: data, as: UTF8.self)
            password = value
            return value
        }
        if let repositories = try await existingRepositories(), !repositories.isEmpty {
            throw BackupEngineError(
                code: .notFound,
                message: "the repository password \(described) is missing, but backup storage location "
                    + "\(locationName) already holds pod volume repositories (\(repositories.joined(separator: ", "))) "
                    + "that only their password opens: recreate the Secret with that password under key \(key); "
                    + "nothing was created or overwritten"
            )
        }
        let value = Self.randomPassword()
        let secret: JSONValue = [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": ["name": .string(secretName), "namespace": .string(namespace)],
            "data": .object([key: .string(Data(value.utf8).base64EncodedString())]),
        ]
        guard let secretObject = KubeObject(secret) else {
            throw BackupEngineError(code: .internal, message: "the password Secret did not encode as a JSON object")
        }
        do {
            _ = try await client.create(.secrets, namespace: namespace, secretObject)
            logger.info("created the pod volume repository password Secret \(namespace)/\(secretName)")
            password = value
            return value
        } catch let error as KubeError where error.code == .alreadyExists {
            // Another run created it first: use its password.
            guard let theirs = try await PodVolumeRepositories.password(client: client, namespace: namespace) else {
                throw BackupEngineError(code: .cluster, message: "reading \(described) failed", cause: error)
            }
            password = theirs
            return theirs
        }
    }

    /// A new repository password: 32 random bytes as 64 hex digits.
    static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let hex = String(UInt8.random(in: 0...255, using: &generator), radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// The `restic/<ns>` folders of the location that hold a repository (`config`).
    private func existingRepositories() async throws -> [String]? {
        let store = try await repositoryStore(subpath: "restic")
        var found: [String] = []
        for try await entry in store.list(prefix: "", delimiter: "/") {
            guard case .commonPrefix(let folder) = entry else { continue }
            if try await store.head(folder + "config") != nil {
                found.append("restic/" + folder.trimmingCharacters(in: CharacterSet(charactersIn: "/")))
            }
        }
        return found
    }

    // MARK: - repository data

    /// Initializes the repository when absent; opens it (checking the password) when present.
    private func prepareRepository(volumeNamespace: String, password: String, identifier: String) async throws {
        let store = try await repositoryStore(subpath: PodVolumeRepositories.subpath(volumeNamespace: volumeNamespace))
        do {
            if try await store.head("config") == nil {
                do {
                    _ = try await Repository.initialize(store: store, password: password, logger: logger)
                    logger.info("initialized pod volume repository \(identifier)")
                    return
                } catch let error as RepositoryError where error.code == .alreadyExists {
                    // Initialized concurrently: open it below.
                }
            }
            _ = try await Repository.open(store: store, password: password, logger: logger)
        } catch let error as RepositoryError where error.code == .wrongPassword {
            throw BackupEngineError(
                code: .invalidLocation,
                message: "the password in Secret \(namespace)/\(PodVolumeRepositories.passwordSecretName) (key "
                    + "\(PodVolumeRepositories.passwordSecretKey)) does not open the pod volume repository "
                    + "\(identifier)",
                cause: error
            )
        } catch let error as BackupEngineError {
            throw error
        } catch {
            throw BackupEngineError(
                code: .storageUnavailable,
                message: "preparing pod volume repository \(identifier) failed",
                cause: error
            )
        }
    }

    private func repositoryStore(subpath: String) async throws -> any ObjectStore {
        do {
            return try await resolver.store(for: location, subpath: subpath)
        } catch let error as VeleroAPIError {
            throw BackupEngineError(
                code: error.code == .notFound ? .notFound : .invalidLocation,
                message: error.message,
                cause: error.cause
            )
        }
    }

    // MARK: - BackupRepository

    /// The labels Velero finds a repository by (`repoLabelsFromKey`).
    private func labels(volumeNamespace: String) -> [String: String] {
        [
            VeleroLabels.volumeNamespace: RestoreMetadata.validLabelValue(volumeNamespace),
            VeleroLabels.storageLocation: RestoreMetadata.validLabelValue(locationName),
            VeleroLabels.repositoryType: RestoreMetadata.validLabelValue(PodVolumeRepositories.repositoryType),
        ]
    }

    /// Finds (by labels) or creates the BackupRepository and records it `Ready`, as the controller does once
    /// the repository is prepared.
    /// The namespace's BackupRepository when it is `Ready` for this repository: Velero's ensurer returns such a
    /// record as it is, without touching the repository (it was initialized or opened when it became Ready; a
    /// password changed since then fails the volumes' data path, as in Velero). Nil when there is none, more
    /// than one, or it cannot be read: the full check runs then.
    private func readyRecordAsItIs(volumeNamespace: String, identifier: String) async -> BackupRepository? {
        guard let selector = try? LabelSelector(matchLabels: labels(volumeNamespace: volumeNamespace)),
            let list = try? await client.list(
                BackupRepository.resource,
                namespace: namespace,
                options: ListOptions(labelSelector: selector)
            ),
            list.items.count == 1,
            let repository = try? list.items[0].value.decode(as: BackupRepository.self),
            repository.status?.phase == "Ready", repository.spec.resticIdentifier == identifier
        else { return nil }
        return repository
    }

    private func readyRecord(volumeNamespace: String, identifier: String) async throws -> BackupRepository {
        let resource = BackupRepository.resource
        let labels = labels(volumeNamespace: volumeNamespace)
        do {
            let selector = try LabelSelector(matchLabels: labels)
            let list = try await client.list(
                resource,
                namespace: namespace,
                options: ListOptions(labelSelector: selector)
            )
            var repository: BackupRepository
            if list.items.count > 1 {
                throw BackupEngineError(
                    code: .cluster,
                    message: "more than one BackupRepository found for workload namespace \"\(volumeNamespace)\", "
                        + "backup storage location \"\(locationName)\", repository type \"restic\""
                )
            } else if let found = list.items.first {
                repository = try found.value.decode(as: BackupRepository.self)
            } else {
                var new = BackupRepository(
                    metadata: ObjectMeta(
                        name: "\(volumeNamespace)-\(locationName)-\(PodVolumeRepositories.repositoryType)",
                        namespace: namespace,
                        labels: labels
                    ),
                    spec: BackupRepository.Spec(
                        volumeNamespace: volumeNamespace,
                        backupStorageLocation: locationName,
                        repositoryType: PodVolumeRepositories.repositoryType
                    )
                )
                new.spec.resticIdentifier = identifier
                new.spec.maintenanceFrequency = Self.maintenanceFrequency
                do {
                    let created = try await client.create(resource, namespace: namespace, try Self.object(new))
                    repository = try created.value.decode(as: BackupRepository.self)
                } catch let error as KubeError where error.code == .alreadyExists {
                    let name = new.name
                    repository = try await client.get(resource, namespace: namespace, name: name).value.decode(
                        as: BackupRepository.self
                    )
                }
            }
            if repository.status?.phase == "Ready" && !repository.spec.resticIdentifier.isEmpty {
                return repository
            }
            return try await markReady(repository, identifier: identifier)
        } catch let error as KubeError {
            throw BackupEngineError(
                code: .cluster,
                message: "recording the BackupRepository of namespace \(volumeNamespace) failed",
                cause: error
            )
        }
    }

    /// Fills in the spec's defaults and writes phase `Ready` (through the status subresource when there is one).
    private func markReady(_ repository: BackupRepository, identifier: String) async throws -> BackupRepository {
        let resource = BackupRepository.resource
        var updated = repository
        if updated.spec.resticIdentifier.isEmpty { updated.spec.resticIdentifier = identifier }
        if updated.spec.maintenanceFrequency.isEmpty { updated.spec.maintenanceFrequency = Self.maintenanceFrequency }
        if updated.spec != repository.spec {
            updated = try await client.update(resource, namespace: namespace, try Self.object(updated)).value.decode(
                as: BackupRepository.self
            )
        }
        var status = updated.status ?? BackupRepository.Status()
        status.phase = "Ready"
        status.message = nil
        status.lastMaintenanceTime = status.lastMaintenanceTime ?? Timestamps.now()
        updated.status = status
        let written = try await client.writeStatus(resource, namespace: namespace, try Self.object(updated))
        return try written.value.decode(as: BackupRepository.self)
    }

    private static func object(_ value: some Encodable) throws -> KubeObject {
        guard let object = KubeObject(try JSONValue(encoding: value)) else {
            throw BackupEngineError(code: .internal, message: "a velero.io object did not encode as a JSON object")
        }
        return object
    }
}
