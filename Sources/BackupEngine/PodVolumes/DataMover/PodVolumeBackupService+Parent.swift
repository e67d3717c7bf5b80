import Foundation
import Kubernetes
import Logging
import VeleroAPI
import VolumeRepository

extension PodVolumeBackupService {
    /// The parent snapshot by Velero's rule (`getParentSnapshot`, Velero 1.9): for a PVC's volume (label
    /// `velero.io/pvc-uid`), the snapshot of the most recent (by `status.startTimestamp`) Completed
    /// PodVolumeBackup of the same PVC in the same backup storage location and repository; nil for other volumes,
    /// when none is found, or when the repository no longer has it. Errors are logged, never thrown: a backup
    /// without a parent is only slower.
    func parentSnapshot(of pvb: PodVolumeBackup, in repository: Repository) async -> String? {
        guard let pvcUID = pvb.metadata.labels?[VeleroLabels.pvcUID], !pvcUID.isEmpty else { return nil }
        let candidates: [PodVolumeBackup]
        do {
            let selector = try LabelSelector(matchLabels: [VeleroLabels.pvcUID: pvcUID])
            let list = try await client.list(
                PodVolumeBackup.resource,
                namespace: configuration.namespace,
                options: ListOptions(labelSelector: selector)
            )
            candidates = list.items.compactMap { try? $0.value.decode(as: PodVolumeBackup.self) }
        } catch {
            logger.info("cannot list the PodVolumeBackups of the PVC", metadata: ["error": "\(error)"])
            return nil
        }
        guard let parent = Self.mostRecentCompleted(candidates, like: pvb) else { return nil }
        guard let id = parent.status?.snapshotID, (try? await repository.findSnapshot(id)) != nil else {
            logger.info("the parent snapshot is not in the repository", metadata: ["pvb.parent": "\(parent.name)"])
            return nil
        }
        logger.info("using the parent snapshot", metadata: ["pvb.parent": "\(parent.name)", "snapshot.id": "\(id)"])
        return id
    }

    /// The most recent Completed PodVolumeBackup with a snapshot among `candidates`, in `pvb`'s location and
    /// repository, other than `pvb` itself.
    static func mostRecentCompleted(_ candidates: [PodVolumeBackup], like pvb: PodVolumeBackup) -> PodVolumeBackup? {
        let matching = candidates.filter { candidate in
            candidate.name != pvb.name
                && candidate.status?.phase == DataMovePhase.completed
                && !(candidate.status?.snapshotID ?? "").isEmpty
                && candidate.spec.backupStorageLocation == pvb.spec.backupStorageLocation
                && uploader(candidate) == uploader(pvb)
                && (candidate.spec.repoIdentifier.isEmpty || pvb.spec.repoIdentifier.isEmpty
                    || candidate.spec.repoIdentifier == pvb.spec.repoIdentifier)
        }
        return matching.max { a, b in
            let first = a.status?.startTimestamp.flatMap(Timestamps.parse) ?? .distantPast
            let second = b.status?.startTimestamp.flatMap(Timestamps.parse) ?? .distantPast
            return first < second
        }
    }

    /// The uploader type, unset meaning restic (the data path runs nothing else).
    private static func uploader(_ pvb: PodVolumeBackup) -> String {
        let type = pvb.spec.uploaderType ?? ""
        return type.isEmpty ? PodVolumeRepositories.uploaderType : type
    }
}
