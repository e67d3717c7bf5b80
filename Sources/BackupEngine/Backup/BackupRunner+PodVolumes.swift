import Foundation
import Kubernetes
import VeleroAPI

/// The pod volume side of a run: the resource policies, collecting while PodVolumeBackups move data, and what is
/// said about volumes whose data nothing backed up.
extension BackupRunner {
    /// The resource policies the Backup's `spec.resourcePolicy` names (a ConfigMap of the install namespace), as
    /// Velero's backup controller validates them.
    /// - Throws: `BackupEngineError` `.invalidSpec` for another kind, a missing ConfigMap or invalid policies.
    func resourcePolicies(of backup: Backup) async throws -> ResourcePolicies? {
        guard let reference = backup.spec.resourcePolicy else { return nil }
        guard reference.kind.lowercased() == "configmap" else {
            throw BackupEngineError(
                code: .invalidSpec,
                message: "unsupported resource policy kind \(reference.kind) (only ConfigMap)"
            )
        }
        let configMap: KubeObject
        do {
            configMap = try await client.get(.configMaps, namespace: configuration.namespace, name: reference.name)
        } catch let error as KubeError where error.code == .notFound {
            throw BackupEngineError(
                code: .invalidSpec,
                message: "resource policies ConfigMap \(configuration.namespace)/\(reference.name) not found "
                    + "(create it with the policies' YAML under one data key)"
            )
        }
        return try ResourcePolicies(configMap: configMap.value)
    }

    /// Collects and archives the items; with file-system backup, follows the PodVolumeBackups meanwhile and waits
    /// for them once the tarball is written.
    func collect(
        _ collector: ItemCollector,
        podVolumes: PodVolumeBackupper?,
        start: Date
    ) async throws -> (ItemCollector.Outcome, PodVolumeBackupper.Summary?) {
        let store = self.store
        let key = store.layout.backupContents(collector.backupName)
        let modificationTime = Int(start.timeIntervalSince1970)
        guard let podVolumes else {
            let outcome = try await store.upload(key) { channel in
                try await collector.collect(into: channel, modificationTime: modificationTime)
            }
            return (outcome, nil)
        }
        return try await withThrowingTaskGroup(
            of: Void.self,
            returning: (ItemCollector.Outcome, PodVolumeBackupper.Summary?).self
        ) { group in
            group.addTask { await podVolumes.run() }
            let outcome: ItemCollector.Outcome
            do {
                outcome = try await store.upload(key) { channel in
                    try await collector.collect(into: channel, modificationTime: modificationTime)
                }
            } catch {
                // Shielded from the cancellation that may have caused this: the node agents stop the loads.
                await Task { await podVolumes.abandon() }.value
                throw error
            }
            await podVolumes.finishCollection()
            try await group.waitForAll()
            if Task.isCancelled {
                // Interrupted while waiting: the loads stop, and the run cleans up as any interrupted run.
                await Task { await podVolumes.abandon() }.value
                throw CancellationError()
            }
            return (outcome, await podVolumes.summary())
        }
    }

    /// Volume info entries (`skipped: true`) for the backed-up PVs whose data no PodVolumeBackup took.
    static func uncoveredVolumes(
        _ volumes: [String: ItemCollector.BackedUpVolume],
        covered: Set<String>,
        snapshotVolumes: Bool?
    ) -> [BackupVolumeInfo] {
        volumes.keys.sorted().filter { !covered.contains($0) }.map { name in
            let volume = volumes[name]
            var info = BackupVolumeInfo()
            info.pvcName = volume?.claimName
            info.pvcNamespace = volume?.claimNamespace
            info.pvName = name
            info.skipped = true
            info.skippedReason =
                snapshotVolumes == false
                ? "backup has volume snapshots disabled"
                : "no file-system backup took its data and Lifeboat takes no volume snapshots"
            info.pvInfo = BackupVolumeInfo.PVInfo(reclaimPolicy: volume?.reclaimPolicy ?? "", labels: volume?.labels)
            return info
        }
    }

    /// The warning about volume data nothing backed up: PVs that no PodVolumeBackup took (unless the backup turned
    /// snapshots off), or snapshots asked for (Lifeboat takes none). Nil when there is nothing to say.
    static func uncoveredWarning(_ skipped: [BackupVolumeInfo], snapshotVolumes: Bool?) -> String? {
        if snapshotVolumes != false && !skipped.isEmpty {
            let names = skipped.map { info in
                let claim = info.pvcName.map { " (\(info.pvcNamespace ?? "")/\($0))" } ?? ""
                return (info.pvName ?? "") + claim
            }
            let plural = skipped.count == 1 ? "" : "s"
            return "volume data was not backed up for \(skipped.count) persistent volume\(plural) "
                + "(\(names.joined(separator: ", "))): no file-system backup took it and Lifeboat takes no volume "
                + "snapshots; use --default-volumes-to-fs-backup or the backup.velero.io/backup-volumes annotation"
        }
        if snapshotVolumes == true {
            return "volume data was not backed up with snapshots: Lifeboat takes no volume snapshots "
                + "(snapshotVolumes is recorded in the spec); file-system backup (--default-volumes-to-fs-backup) "
                + "moves pod volume data"
        }
        return nil
    }
}
