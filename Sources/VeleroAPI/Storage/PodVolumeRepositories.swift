import Foundation
package import Kubernetes

/// Where file-system backups keep pod volume data, as Velero names it: one restic-format repository per
/// (volume namespace, backup storage location), at `<location prefix>/restic/<volume namespace>` in the location's
/// bucket (Velero's `GetResticDir` + `GetRepoIdentifier`), protected by the password in the Secret
/// `velero-repo-credentials` (key `repository-password`) of the install namespace.
///
/// The backup side creates the password (a random one) and the repository; the data mover only opens them.
package enum PodVolumeRepositories {
    /// The repository type Lifeboat writes (`BackupRepository.spec.repositoryType`, PodVolumeBackup
    /// `spec.uploaderType`): restic format, readable by the stock `restic` binary and by Velero's restic restores.
    package static let repositoryType = "restic"
    /// The uploader type of the PodVolumeBackups Lifeboat writes.
    package static let uploaderType = "restic"

    /// The Secret holding the repositories' password (Velero's `credentials.RepoKeySelector`).
    package static let passwordSecretName = "velero-repo-credentials"
    /// Its key.
    package static let passwordSecretKey = "repository-password"
    /// Velero's built-in password of repositories created before it used the Secret (`static-passw0rd`): accepted
    /// only to open a repository that already uses it, never for a new one.
    package static let veleroStaticPassword = "static-passw0rd"

    /// The object-store path of a volume namespace's repository relative to the location's prefix
    /// (`restic/<volume namespace>`); pass it as `subpath` to ``StorageLocationResolver/store(for:subpath:)``.
    package static func subpath(volumeNamespace: String) -> String { "restic/\(volumeNamespace)" }

    /// Velero's `GetRepoIdentifier` for a restic repository (`spec.repoIdentifier` of PodVolumeBackups and
    /// BackupRepositories): `s3:<s3Url or s3-<region>.amazonaws.com>/<bucket>/<prefix>/restic/<ns>` for S3
    /// (`config.resticRepoPrefix` replaces everything before `/<ns>`), `local:<bucket>/<prefix>/restic/<ns>` for
    /// Lifeboat's `filesystem` provider (restic's local backend syntax), `gs:<bucket>:/<prefix>/restic/<ns>` and
    /// `azure:<bucket>:/…` as Velero writes them, and `<provider>:<bucket>/…` otherwise.
    package static func repoIdentifier(location: BackupStorageLocation, volumeNamespace: String) -> String {
        let config = location.spec.config ?? [:]
        if let custom = config["resticRepoPrefix"], !custom.isEmpty {
            return custom.hasSuffix("/") ? custom + volumeNamespace : custom + "/" + volumeNamespace
        }
        let bucket = location.spec.objectStorage.bucket
        var parts = [bucket]
        let prefix = (location.spec.objectStorage.prefix ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !prefix.isEmpty { parts.append(prefix) }
        parts.append(subpath(volumeNamespace: volumeNamespace))
        let path = parts.joined(separator: "/")
        switch location.spec.provider {
        case "filesystem":
            return "local:" + path
        case "gcp", "velero.io/gcp":
            // Velero's `gs:<bucket>:/<prefix>/restic` (restic's GCS backend syntax), then the namespace.
            return "gs:\(bucket):/" + parts.dropFirst().joined(separator: "/")
        case "azure", "velero.io/azure":
            return "azure:\(bucket):/" + parts.dropFirst().joined(separator: "/")
        case "aws", "velero.io/aws":
            let host: String
            if let url = config["s3Url"], !url.isEmpty {
                host = url.hasSuffix("/") ? String(url.dropLast()) : url
            } else {
                host = "s3-\(config["region"] ?? "us-east-1").amazonaws.com"
            }
            return "s3:\(host)/\(path)"
        default:
            if let url = config["s3Url"], !url.isEmpty {
                return "s3:\(url.hasSuffix("/") ? String(url.dropLast()) : url)/\(path)"
            }
            return "\(location.spec.provider):\(path)"
        }
    }

    /// The repositories' password from the Secret, or nil when the Secret or its key is absent.
    /// - Throws: API errors other than not-found.
    package static func password(client: KubeClient, namespace: String) async throws -> String? {
        let secret: KubeObject
        do {
            secret = try await client.get(.secrets, namespace: namespace, name: passwordSecretName)
        } catch let error as KubeError where error.code == .notFound {
            return nil
        }
        guard let encoded = secret["data"]?[passwordSecretKey]?.stringValue, let data = Data(base64Encoded: encoded)
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
