package import Kubernetes

/// The part of Velero's backup-repository ConfigMap (`--backup-repository-configmap`) the node agent uses: the
/// repository client's cache limit, which sizes the cache PVC of restores. The ConfigMap has one data key per
/// repository type whose value is JSON; the limit is `cacheLimitMB` under `kopia` (Velero's
/// `ClientSideCacheLimit`), 5 GiB when absent.
package enum BackupRepositoryConfig {
    /// The repository type whose settings size the cache volume.
    package static let repositoryType = "kopia"
    /// The key of the cache limit, in MiB.
    package static let cacheLimitKey = "cacheLimitMB"

    /// The cache limit in bytes from the ConfigMap `configMap` (named `name`), and a warning when a value
    /// present could not be used (the default applies then).
    package static func cacheLimitBytes(configMap: JSONValue, name: String) -> (bytes: Int64, warning: String?) {
        let fallback = ExposerBuilder.defaultCacheLimitBytes
        guard let text = configMap["data"]?[repositoryType]?.stringValue else { return (fallback, nil) }
        let settings: JSONValue
        do {
            settings = try JSONValue(parsing: text)
        } catch {
            return (
                fallback,
                "error unmarshalling config data for repo type \(repositoryType) from ConfigMap \(name): \(error)"
            )
        }
        guard let value = settings[cacheLimitKey] else { return (fallback, nil) }
        guard let megabytes = value.intValue, megabytes > 0, megabytes <= Int64.max >> 20 else {
            return (
                fallback,
                "ignore cache limit for repo type \(repositoryType) from ConfigMap \(name): \(cacheLimitKey) is \(value), not a positive whole number"
            )
        }
        return (megabytes << 20, nil)
    }
}
