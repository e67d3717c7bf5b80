import Foundation
package import Kubernetes
package import VeleroAPI

/// The file-system backups of pod volumes in one backup: the PodVolumeBackups that the backup wrote to
/// `<backup>-podvolumebackups.json.gz` (or, when the location has no such file, the ones in the cluster labelled
/// `velero.io/backup-name=<backup>`, where Velero's restore reads them).
///
/// ```swift
/// let volumes = try await BackupPodVolumes.load(store: store, backup: "b1", client: client, namespace: "velero")
/// let forPod = volumes.volumes(pod: "web-0", sourceNamespace: "shop", podVolumes: pod["spec"]?["volumes"])
/// ```
package struct BackupPodVolumes: Sendable {
    /// What a restore needs of one backed-up volume (Velero's `volumeBackupInfo`).
    package struct Volume: Sendable, Hashable {
        /// The pod volume's name.
        package var name: String
        /// The snapshot in the repository.
        package var snapshotID: String
        /// The snapshot's size (`status.progress.totalBytes` of the PodVolumeBackup).
        package var snapshotSize: Int64
        /// `restic` or `kopia` (an empty uploader type means restic, as in Velero).
        package var uploaderType: String
        /// The repository of the pod's namespace in the backup (`spec.repoIdentifier`).
        package var repoIdentifier: String
        /// The location holding the repository (`spec.backupStorageLocation`).
        package var backupStorageLocation: String

        /// Whether Lifeboat can restore it: only restic-format repositories are readable.
        package var isReadable: Bool { uploaderType == PodVolumeRepositories.uploaderType }
    }

    /// Every PodVolumeBackup of the backup, in file order.
    package let podVolumeBackups: [PodVolumeBackup]

    /// An index over `podVolumeBackups`.
    package init(_ podVolumeBackups: [PodVolumeBackup]) {
        self.podVolumeBackups = podVolumeBackups
    }

    /// No volume data.
    package static let empty = BackupPodVolumes([])

    /// Whether the backup holds no pod volume backups.
    package var isEmpty: Bool { podVolumeBackups.isEmpty }

    /// Reads the backup's PodVolumeBackups from the location, else from the cluster.
    /// - Throws: `.corruptBackup` when the file exists but is not a JSON array of PodVolumeBackups.
    package static func load(
        store: BackupStore,
        backup: String,
        client: KubeClient?,
        namespace: String
    ) async throws -> BackupPodVolumes {
        let key = store.layout.backupPodVolumeBackups(backup)
        if let bytes = try await store.gunzipped(key) {
            return try BackupPodVolumes(decoding: bytes, source: key)
        }
        guard let client else { return .empty }
        return BackupPodVolumes(await inCluster(client: client, namespace: namespace, backup: backup))
    }

    /// Decodes a `podvolumebackups.json` document (a JSON array; `null` is an empty list, as Go writes it).
    /// - Throws: `.corruptBackup` naming `source`.
    package init(decoding bytes: [UInt8], source: String) throws {
        do {
            let value = try JSONValue(parsing: bytes)
            if value == .null {
                self.init([])
                return
            }
            self.init(try value.decode(as: [PodVolumeBackup].self))
        } catch {
            throw BackupEngineError(
                code: .corruptBackup,
                message: "\(source) is not a JSON array of PodVolumeBackups",
                cause: error
            )
        }
    }

    /// The PodVolumeBackups of `backup` in the cluster (none when the CRD is missing or the list fails).
    package static func inCluster(client: KubeClient, namespace: String, backup: String) async -> [PodVolumeBackup] {
        guard let selector = try? LabelSelector(parsing: "\(VeleroLabels.backupName)=\(backup)"),
            let list = try? await client.list(
                PodVolumeBackup.resource,
                namespace: namespace,
                options: ListOptions(labelSelector: selector)
            )
        else { return [] }
        return list.items.compactMap { try? $0.value.decode(as: PodVolumeBackup.self) }
    }

    /// The backed-up volumes of a pod (Velero's `getVolumeBackupInfoForPod`): its PodVolumeBackups with a
    /// snapshot ID, except volumes that are projected or downwardAPI in the pod, by volume name.
    /// - Parameters:
    ///   - pod: the pod's name.
    ///   - sourceNamespace: the pod's namespace in the backup (before namespace mapping).
    ///   - podVolumes: the pod's `spec.volumes`.
    package func volumes(pod: String, sourceNamespace: String, podVolumes: JSONValue?) -> [Volume] {
        var byName: [String: Volume] = [:]
        let volumes = podVolumes?.arrayValue ?? []
        for pvb in podVolumeBackups where pvb.spec.pod.name == pod && pvb.spec.pod.namespace == sourceNamespace {
            guard let snapshotID = pvb.status?.snapshotID, !snapshotID.isEmpty else { continue }
            let source = volumes.first { $0["name"]?.stringValue == pvb.spec.volume }
            if source?["projected"] != nil || source?["downwardAPI"] != nil { continue }
            let uploader = pvb.spec.uploaderType.flatMap { $0.isEmpty ? nil : $0 } ?? PodVolumeRepositories.uploaderType
            byName[pvb.spec.volume] = Volume(
                name: pvb.spec.volume,
                snapshotID: snapshotID,
                snapshotSize: pvb.status?.progress?.totalBytes ?? 0,
                uploaderType: uploader,
                repoIdentifier: pvb.spec.repoIdentifier,
                backupStorageLocation: pvb.spec.backupStorageLocation
            )
        }
        return byName.values.sorted { $0.name < $1.name }
    }

    /// Whether a PodVolumeBackup holds the data of claim `namespace/claim` (its `velero.io/pvc-name`
    /// annotation), so the claim's PersistentVolume is provisioned again rather than restored (Velero's
    /// `hasPodVolumeBackup`).
    package func backsUpClaim(namespace: String, claim: String) -> Bool {
        podVolumeBackups.contains {
            $0.spec.pod.namespace == namespace && $0.metadata.annotations?[Self.pvcNameAnnotation] == claim
        }
    }

    /// Velero's `velero.io/pvc-name` annotation on PodVolumeBackups of claims.
    package static let pvcNameAnnotation = "velero.io/pvc-name"
}
