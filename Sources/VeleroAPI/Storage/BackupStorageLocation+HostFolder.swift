extension BackupStorageLocation {
    /// The provider names of Lifeboat's `filesystem` object store (a bucket that is a host folder).
    package static let filesystemProviders: Set<String> = ["filesystem", "file", "local"]

    /// The host folder of a `filesystem` location's bucket (nil for any other provider, or a bucket that is not
    /// an absolute path).
    ///
    /// Lifeboat's rule for filesystem locations: the bucket folder must be at the same path on every node (a
    /// shared filesystem, or `lifeboat sandbox serve --share-host-path`), because the node agents' hosting pods
    /// read and write the location there: each PodVolumeBackup or PodVolumeRestore hosting pod whose location is
    /// a filesystem one mounts the bucket folder as a `hostPath` volume at the same path.
    package var hostFolder: String? {
        guard Self.filesystemProviders.contains(spec.provider.lowercased()) else { return nil }
        let bucket = spec.objectStorage.bucket
        guard bucket.hasPrefix("/") else { return nil }
        return bucket.count > 1 && bucket.hasSuffix("/") ? String(bucket.dropLast()) : bucket
    }
}
