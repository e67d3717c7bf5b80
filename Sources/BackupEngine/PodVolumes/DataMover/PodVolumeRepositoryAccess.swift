import Kubernetes
import Logging
import ObjectStorage
import VeleroAPI
import VolumeRepository

/// Opens the restic-format repository of a pod volume's namespace in a backup storage location, as the data
/// path needs it: `<location prefix>/restic/<volume namespace>`, with the password of the Secret
/// `velero-repo-credentials` (key `repository-password`) of the install namespace.
///
/// The micro-service never creates a repository or a password: the backup creates both before its
/// PodVolumeBackups. Velero's built-in `static-passw0rd` opens a repository only when the Secret is missing and
/// the repository already uses it.
struct PodVolumeRepositoryAccess: Sendable {
    let client: KubeClient
    let configuration: PodVolumeDataMover.Configuration
    let logger: Logger

    /// The opened repository and how to name it in messages.
    struct Opened: Sendable {
        var repository: Repository
        /// `restic/<namespace> of backup storage location <name>`.
        var description: String
    }

    /// Opens the repository of `volumeNamespace` in the location named `locationName`.
    /// - Throws: a missing location, Secret or key (named), no repository there, a wrong password.
    func open(locationName: String, volumeNamespace: String) async throws -> Opened {
        let locations = StorageLocationResolver(
            client: client,
            namespace: configuration.namespace,
            factory: configuration.objectStoreFactory,
            logger: logger
        )
        let location = try await locations.get(locationName)
        let subpath = PodVolumeRepositories.subpath(volumeNamespace: volumeNamespace)
        let base = try await locations.store(for: location, subpath: subpath)
        let store = configuration.wrapStore(base)
        let description = "repository \(subpath) of backup storage location \(location.name)"
        if let password = try await PodVolumeRepositories.password(client: client, namespace: configuration.namespace) {
            return Opened(repository: try await open(store, password: password, description), description: description)
        }
        // No Secret: only a repository that already uses Velero's static password opens.
        do {
            let repository = try await Repository.open(
                store: store,
                password: PodVolumeRepositories.veleroStaticPassword,
                configuration: configuration.repository,
                logger: logger
            )
            logger.info("opened the repository with Velero's static password", metadata: ["repo": "\(description)"])
            return Opened(repository: repository, description: description)
        } catch {
            throw BackupEngineError(
                code: .notFound,
                message: "the repository password is missing: Secret \(configuration.namespace)/"
                    + "\(PodVolumeRepositories.passwordSecretName) or its key \(PodVolumeRepositories.passwordSecretKey)"
                    + " does not exist; it is needed to open the \(description)"
            )
        }
    }

    /// Opens the repository with the Secret's password; errors name the repository.
    private func open(_ store: any ObjectStore, password: String, _ description: String) async throws -> Repository {
        do {
            return try await Repository.open(
                store: store,
                password: password,
                configuration: configuration.repository,
                logger: logger
            )
        } catch let error as RepositoryError where error.code == .wrongPassword {
            throw BackupEngineError(
                code: .invalidSpec,
                message: "wrong password for the \(description): the password in Secret \(configuration.namespace)/"
                    + "\(PodVolumeRepositories.passwordSecretName) key \(PodVolumeRepositories.passwordSecretKey)"
                    + " does not open it"
            )
        } catch let error as RepositoryError where error.code == .notARepository {
            throw BackupEngineError(
                code: .notFound,
                message: "there is no \(description) (config not found); the backup creates it before its "
                    + "PodVolumeBackups"
            )
        } catch {
            throw BackupEngineError(code: .storageUnavailable, message: "cannot open the \(description)", cause: error)
        }
    }
}
