package import Foundation
package import Kubernetes
package import VeleroAPI

extension BackupRunner {
    /// What Velero's server sets on a Backup before it runs it (`pkg/controller/backup_controller.go`
    /// `prepareBackupRequest` at v1.18.1), with the server's defaults (`pkg/cmd/server/config/config.go`), so that
    /// a Lifeboat backup's `velero-backup.json` carries what Velero's would.
    package struct ServerDefaults: Sendable, Hashable {
        /// `--default-backup-storage-location` (when the spec names none and no location is marked default).
        package var storageLocation: String
        /// `--default-csi-snapshot-timeout`.
        package var csiSnapshotTimeout: Duration
        /// `--default-item-operation-timeout`.
        package var itemOperationTimeout: Duration
        /// `--resource-timeout`, recorded in the `velero.io/resource-timeout` annotation.
        package var resourceTimeout: Duration
        /// `--volume-group-snapshot-label-key`.
        package var volumeGroupSnapshotLabelKey: String
        /// `--default-volumes-to-fs-backup`.
        package var defaultVolumesToFsBackup: Bool
        /// `--default-snapshot-move-data`.
        package var snapshotMoveData: Bool

        package init(
            storageLocation: String = "default",
            csiSnapshotTimeout: Duration = .seconds(10 * 60),
            itemOperationTimeout: Duration = .seconds(4 * 3600),
            resourceTimeout: Duration = .seconds(10 * 60),
            volumeGroupSnapshotLabelKey: String = "velero.io/volume-group",
            defaultVolumesToFsBackup: Bool = false,
            snapshotMoveData: Bool = false
        ) {
            self.storageLocation = storageLocation
            self.csiSnapshotTimeout = csiSnapshotTimeout
            self.itemOperationTimeout = itemOperationTimeout
            self.resourceTimeout = resourceTimeout
            self.volumeGroupSnapshotLabelKey = volumeGroupSnapshotLabelKey
            self.defaultVolumesToFsBackup = defaultVolumesToFsBackup
            self.snapshotMoveData = snapshotMoveData
        }

        /// The annotations naming the source cluster's version and the resource timeout.
        package static let gitVersionAnnotation = "velero.io/source-cluster-k8s-gitversion"
        package static let majorVersionAnnotation = "velero.io/source-cluster-k8s-major-version"
        package static let minorVersionAnnotation = "velero.io/source-cluster-k8s-minor-version"
        package static let resourceTimeoutAnnotation = "velero.io/resource-timeout"

        /// Sets what `prepareBackupRequest` sets: the spec's defaulted fields (`ttl`, given as `ttl`; the
        /// timeouts; the volume group label key; `defaultVolumesToFsBackup`, from the deprecated
        /// `defaultVolumesToRestic` when that is true; `snapshotMoveData`; `storageLocation`), durations in Go's
        /// form (`10m` becomes `10m0s`), the `velero.io/storage-location` label and the source cluster's version
        /// annotations (`serverVersion`, the API server's `/version`; left out when it could not be read).
        package func apply(to backup: inout Backup, ttl: Duration, serverVersion: ServerVersion?) {
            var spec = backup.spec
            spec.ttl = GoDuration.format(ttl)
            if spec.volumeGroupSnapshotLabelKey?.isEmpty ?? true, !volumeGroupSnapshotLabelKey.isEmpty {
                spec.volumeGroupSnapshotLabelKey = volumeGroupSnapshotLabelKey
            }
            spec.csiSnapshotTimeout = Self.defaulted(spec.csiSnapshotTimeout, csiSnapshotTimeout)
            spec.itemOperationTimeout = Self.defaulted(spec.itemOperationTimeout, itemOperationTimeout)
            if spec.defaultVolumesToRestic == true { spec.defaultVolumesToFsBackup = true }
            if spec.defaultVolumesToFsBackup == nil { spec.defaultVolumesToFsBackup = defaultVolumesToFsBackup }
            if spec.snapshotMoveData == nil { spec.snapshotMoveData = snapshotMoveData }
            if spec.storageLocation?.isEmpty ?? true { spec.storageLocation = storageLocation }
            // Non-pointer structs of Velero's BackupSpec: present, even when empty.
            if spec.metadata == nil { spec.metadata = BackupSpec.Metadata() }
            if spec.hooks == nil || spec.hooks?.isNull == true { spec.hooks = .object([:]) }
            backup.spec = spec

            var labels = backup.metadata.labels ?? [:]
            labels[VeleroLabels.storageLocation] = RestoreMetadata.validLabelValue(spec.storageLocation ?? "")
            backup.metadata.labels = labels
            var annotations = backup.metadata.annotations ?? [:]
            if let serverVersion {
                annotations[Self.gitVersionAnnotation] = serverVersion.gitVersion
                annotations[Self.majorVersionAnnotation] = serverVersion.major
                annotations[Self.minorVersionAnnotation] = serverVersion.minor
            }
            annotations[Self.resourceTimeoutAnnotation] = GoDuration.format(resourceTimeout)
            backup.metadata.annotations = annotations
        }

        /// What the API server sets when it creates the Backup, for a run that did not record one in the cluster
        /// (or whose record did not say): a `uid` and the `creationTimestamp` (the run's start).
        package static func applyObjectIdentity(to backup: inout Backup, createdAt: Date) {
            if backup.metadata.uid?.isEmpty ?? true { backup.metadata.uid = UUID().uuidString.lowercased() }
            if backup.metadata.creationTimestamp?.isEmpty ?? true {
                backup.metadata.creationTimestamp = Timestamps.format(createdAt)
            }
        }

        /// `value` in Go's form, or `fallback` when it is unset, zero or unreadable.
        private static func defaulted(_ value: String?, _ fallback: Duration) -> String {
            guard let value, let parsed = GoDuration.parse(value), parsed != .zero else {
                return GoDuration.format(fallback)
            }
            return GoDuration.format(parsed)
        }
    }
}

extension BackupRunner {
    /// The namespaces labelled `velero.io/exclude-from-backup=true`, which Velero's `prepareBackupRequest` appends
    /// to `spec.excludedNamespaces` (so that nothing in them is backed up, and the stored spec says so).
    func namespacesExcludedByLabel() async throws -> [String] {
        let selector = try LabelSelector(parsing: "\(VeleroLabels.excludeFromBackup)=true")
        var names: [String] = []
        let options = ListOptions(labelSelector: selector, limit: configuration.pageSize)
        for try await namespace in client.listObjects(.namespaces, options: options) {
            if let name = namespace.name { names.append(name) }
        }
        return names
    }
}
