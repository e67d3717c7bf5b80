package import Kubernetes

/// Builds the objects Velero's exposers create for a load (`pkg/exposer/csi_snapshot.go`,
/// `generic_restore.go`, `pod_volume.go`, `cache_volume.go`), from the resolved node-agent configuration. Pure functions:
/// the controller creates what they return.
package struct ExposerBuilder: Sendable {
    package var config: ResolvedNodeAgentConfig
    package var template: DataMoverPodTemplate

    package init(config: ResolvedNodeAgentConfig, template: DataMoverPodTemplate) {
        self.config = config
        self.template = template
    }

    /// Parameters of a DataUpload's exposure.
    package struct BackupParameters: Sendable, Hashable {
        package var owner: LoadReference
        /// The source PVC's storage class (selects `backupPVC` and, after mapping, `loadAffinity`).
        package var sourceStorageClass: String
        /// "Filesystem" or "Block".
        package var volumeMode: String
        /// The VolumeSnapshot's restoreSize, or the source PVC's request.
        package var size: Quantity
        /// The VolumeSnapshot the backup PVC is restored from (named after the DataUpload).
        package var volumeSnapshotName: String
        /// `spec.operationTimeout` (e.g. "10m0s").
        package var operationTimeout: String
        /// The volume's topology (PV node affinity), if any.
        package var volumeTopology: NodeAffinity?

        package init(
            owner: LoadReference,
            sourceStorageClass: String,
            volumeMode: String = "Filesystem",
            size: Quantity,
            volumeSnapshotName: String? = nil,
            operationTimeout: String = "10m0s",
            volumeTopology: NodeAffinity? = nil
        ) {
            self.owner = owner
            self.sourceStorageClass = sourceStorageClass
            self.volumeMode = volumeMode
            self.size = size
            self.volumeSnapshotName = volumeSnapshotName ?? owner.name
            self.operationTimeout = operationTimeout
            self.volumeTopology = volumeTopology
        }
    }

    // MARK: - Backup (DataUpload)

    /// The backup PVC: named after the DataUpload, owned by it, restored from the backup VolumeSnapshot,
    /// with the `backupPVC` storage class, access mode and annotations.
    package func backupPVC(_ p: BackupParameters) -> JSONValue {
        let s = config.backupPVCSettings(forSourceStorageClass: p.sourceStorageClass)
        var metadata: JSONObject = [
            "name": .string(p.owner.name), "namespace": .string(p.owner.namespace),
            "ownerReferences": [p.owner.ownerReference],
        ]
        if !s.annotations.isEmpty { metadata["annotations"] = Self.sortedMap(s.annotations) }
        return [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": .object(metadata),
            "spec": [
                "accessModes": [s.readOnly ? "ReadOnlyMany" : "ReadWriteOnce"],
                "storageClassName": .string(s.storageClass),
                "volumeMode": .string(p.volumeMode),
                "dataSource": [
                    "apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot",
                    "name": .string(p.volumeSnapshotName),
                ],
                "resources": ["requests": ["storage": p.size.jsonValue]],
            ],
        ]
    }

    /// The backup pod: named after the DataUpload in the Velero namespace, running
    /// `/velero data-mover backup` on the backup PVC.
    package func backupPod(_ p: BackupParameters) -> JSONValue {
        let s = config.backupPVCSettings(forSourceStorageClass: p.sourceStorageClass)
        let volumeName = p.owner.uid
        let volumePath = "/" + volumeName
        let args = [
            "--volume-path=\(volumePath)", "--volume-mode=\(p.volumeMode)", "--data-upload=\(p.owner.name)",
            "--resource-timeout=\(p.operationTimeout)",
        ]
        var securityContext: JSONObject = ["runAsUser": 0]
        if s.spcNoRelabeling { securityContext["seLinuxOptions"] = ["type": "spc_t"] }
        return pod(
            owner: p.owner,
            group: LoadLabels.snapshotExposer,
            command: ["/velero", "data-mover", "backup"],
            args: args,
            claimName: p.owner.name,
            volumeName: volumeName,
            volumePath: volumePath,
            block: p.volumeMode == "Block",
            readOnly: s.readOnly,
            affinity: config.nodeAffinity(forStorageClass: s.storageClass, volumeTopology: p.volumeTopology),
            securityContext: .object(securityContext)
        )
    }

    // MARK: - Restore (DataDownload)

    /// Parameters of a DataDownload's exposure.
    package struct RestoreParameters: Sendable, Hashable {
        package var owner: LoadReference
        /// The target PVC's storage class.
        package var targetStorageClass: String
        package var volumeMode: String
        package var size: Quantity
        package var operationTimeout: String
        /// The node the target PVC was scheduled to (`volume.kubernetes.io/selected-node`), if any.
        package var selectedNode: String?
        /// The cache PVC mounted at ``ExposerBuilder/cacheVolumePath`` (see ``ExposerBuilder/cachePVC(owner:cacheLimitBytes:selectedNode:)``), if any.
        package var cacheClaimName: String?

        package init(
            owner: LoadReference,
            targetStorageClass: String,
            volumeMode: String = "Filesystem",
            size: Quantity,
            operationTimeout: String = "10m0s",
            selectedNode: String? = nil,
            cacheClaimName: String? = nil
        ) {
            self.owner = owner
            self.targetStorageClass = targetStorageClass
            self.volumeMode = volumeMode
            self.size = size
            self.operationTimeout = operationTimeout
            self.selectedNode = selectedNode
            self.cacheClaimName = cacheClaimName
        }
    }

    /// The restore PVC: named after the DataDownload, ReadWriteOnce, in the target storage class.
    package func restorePVC(_ p: RestoreParameters) -> JSONValue {
        var metadata: JSONObject = [
            "name": .string(p.owner.name), "namespace": .string(p.owner.namespace),
            "ownerReferences": [p.owner.ownerReference],
        ]
        if let node = p.selectedNode { metadata["annotations"] = ["volume.kubernetes.io/selected-node": .string(node)] }
        return [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": .object(metadata),
            "spec": [
                "accessModes": ["ReadWriteOnce"], "storageClassName": .string(p.targetStorageClass),
                "volumeMode": .string(p.volumeMode), "resources": ["requests": ["storage": p.size.jsonValue]],
            ],
        ]
    }

    /// The restore pod: named after the DataDownload, running `/velero data-mover restore`, with the cache
    /// PVC mounted when there is one (`--cache-volume-path` is empty otherwise, as Velero passes it).
    package func restorePod(_ p: RestoreParameters) -> JSONValue {
        let volumeName = p.owner.uid
        let volumePath = "/" + volumeName
        let args = [
            "--volume-path=\(volumePath)", "--volume-mode=\(p.volumeMode)", "--data-download=\(p.owner.name)",
            "--resource-timeout=\(p.operationTimeout)",
            "--cache-volume-path=\(p.cacheClaimName == nil ? "" : Self.cacheVolumePath)",
        ]
        var affinity = config.nodeAffinity(forStorageClass: p.targetStorageClass)
        if let node = p.selectedNode, !config.ignoreDelayBinding {
            affinity = NodeAffinity(terms: [[.init(key: "kubernetes.io/hostname", operator: "In", values: [node])]])
        }
        return pod(
            owner: p.owner,
            group: LoadLabels.restoreExposer,
            command: ["/velero", "data-mover", "restore"],
            args: args,
            claimName: p.owner.name,
            volumeName: volumeName,
            volumePath: volumePath,
            block: p.volumeMode == "Block",
            readOnly: false,
            affinity: affinity,
            securityContext: ["runAsUser": 0],
            cacheClaimName: p.cacheClaimName
        )
    }
}
