package import Kubernetes

/// The restore-side cache volume (Velero's `pkg/exposer/cache_volume.go`): a PVC named `<load>-cache` that a
/// DataDownload's restore pod or a PodVolumeRestore's hosting pod mounts at `/cachedir` for kopia's cache.
extension ExposerBuilder {
    /// The cache volume's name in the pod (`cacheVolumeName`).
    package static let cacheVolumeName = "cachedir"
    /// Where the cache volume is mounted (`--cache-volume-path`).
    package static let cacheVolumePath = "/" + cacheVolumeName
    /// Kopia's default client-side cache limit when the backup-repository ConfigMap sets no `cacheLimitMB`
    /// (`DefaultCacheLimitMB = 5 << 10`): 5 GiB.
    package static let defaultCacheLimitBytes: Int64 = 5 << 30

    static var cacheVolumeMount: JSONValue {
        ["name": .string(cacheVolumeName), "mountPath": .string(cacheVolumePath)]
    }

    static func cacheVolume(claimName: String) -> JSONValue {
        ["name": .string(cacheVolumeName), "persistentVolumeClaim": ["claimName": .string(claimName)]]
    }

    /// The name of a load's cache PVC: `<load>-cache`.
    package static func cacheClaimName(of owner: String) -> String { owner + "-cache" }

    /// Whether a restore of `dataSize` bytes gets a cache PVC (`getCacheVolumeSize` > 0): `cachePVC` is
    /// configured, the size is unknown (0) or at least `residentThresholdInMB` MiB, and the cache limit gives a
    /// non-zero volume.
    ///
    /// - Parameters:
    ///   - dataSize: `spec.snapshotSize` of the DataDownload or PodVolumeRestore (0 when unknown).
    ///   - cacheLimitBytes: the repository's client-side cache limit.
    package func needsCacheVolume(
        dataSize: Int64,
        cacheLimitBytes: Int64 = ExposerBuilder.defaultCacheLimitBytes
    ) -> Bool {
        guard let cache = config.cachePVC else { return false }
        if dataSize != 0 && dataSize < cache.residentThresholdInMB << 20 { return false }
        return Self.cacheVolumeBytes(cacheLimitBytes: cacheLimitBytes) > 0
    }

    /// The cache PVC size in bytes: the limit × 1.2 (integer arithmetic), rounded up to whole GiB; 0 for a
    /// zero limit.
    static func cacheVolumeBytes(cacheLimitBytes: Int64) -> Int64 {
        let gib: Int64 = 1 << 30
        return (max(0, cacheLimitBytes) * 12 / 10 + gib - 1) / gib * gib
    }

    /// The cache PVC size for a cache limit: the limit × 1.2 rounded up to whole GiB.
    package static func cacheVolumeSize(cacheLimitBytes: Int64) -> Quantity {
        Quantity(cacheVolumeBytes(cacheLimitBytes: cacheLimitBytes), format: .binarySI)
    }

    /// The cache PVC of a DataDownload or PodVolumeRestore (named `<load>-cache`, owned by it, ReadWriteOnce,
    /// Filesystem, in `cachePVC.storageClass`, annotated with the selected node when there is one), or nil
    /// when no cache volume is configured.
    ///
    /// - Parameters:
    ///   - owner: the load.
    ///   - cacheLimitBytes: the repository's client-side cache limit (sizes the volume).
    ///   - selectedNode: the node the hosting pod goes to, when known (`volume.kubernetes.io/selected-node`).
    package func cachePVC(owner: LoadReference, cacheLimitBytes: Int64, selectedNode: String? = nil) -> JSONValue? {
        guard let cache = config.cachePVC else { return nil }
        var metadata: JSONObject = [
            "name": .string(Self.cacheClaimName(of: owner.name)), "namespace": .string(owner.namespace),
            "ownerReferences": [owner.ownerReference],
        ]
        if let selectedNode { metadata["annotations"] = ["volume.kubernetes.io/selected-node": .string(selectedNode)] }
        return [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": .object(metadata),
            "spec": [
                "accessModes": ["ReadWriteOnce"], "storageClassName": .string(cache.storageClass),
                "volumeMode": "Filesystem",
                "resources": [
                    "requests": ["storage": Self.cacheVolumeSize(cacheLimitBytes: cacheLimitBytes).jsonValue]
                ],
            ],
        ]
    }
}
