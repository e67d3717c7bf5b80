import Foundation
package import Kubernetes
package import VeleroAPI

/// Creates the PodVolumeRestores of restored pods and waits for the node agents to finish them (Velero's
/// `pkg/podvolume/restorer.go` and the end of `pkg/restore/restore.go`).
///
/// Right after a pod is created, one PodVolumeRestore per backed-up volume names the new pod (with its UID), the
/// volume, the snapshot and the repository of the pod's namespace in the backup; they are owned by the Restore and
/// labelled with the restore's name and UID and the pod's UID. At the end of the restore ``waitForAll()`` waits,
/// pod by pod, for the pod to be scheduled, checks that a node agent serves its node, and waits for each
/// PodVolumeRestore to end; failures become the restore's errors (it is then PartiallyFailed).
package final class PodVolumeRestorer: Sendable {
    /// What the restorer needs to know about the restore.
    package struct Configuration: Sendable {
        /// The install namespace, where PodVolumeRestores live.
        package var namespace: String
        /// The Restore's name.
        package var restoreName: String
        /// The Restore's UID (labels, the helper's marker files).
        package var restoreUID: String
        /// Set when the Restore exists in the cluster: the PodVolumeRestores' controller owner.
        package var owner: VeleroAPI.OwnerReference?
        /// The backup's storage location (else each PodVolumeBackup's).
        package var backupStorageLocation: String?
        /// `spec.uploaderConfig` of the restore as PodVolumeRestore `uploaderSettings`.
        package var uploaderSettings: [String: String]?
        /// How long the pod volume restores may take in all (`--pod-volume-operation-timeout`).
        package var timeout: Duration
        /// How long to wait for a restored pod to be scheduled before checking its node (Velero: 10 minutes).
        package var schedulingTimeout: Duration
        /// Plan only.
        package var dryRun: Bool
        /// Pause between polls of pods and PodVolumeRestores.
        package var pollInterval: Duration

        /// Creates a configuration.
        package init(
            namespace: String,
            restoreName: String,
            restoreUID: String,
            owner: VeleroAPI.OwnerReference? = nil,
            backupStorageLocation: String? = nil,
            uploaderSettings: [String: String]? = nil,
            timeout: Duration = .seconds(240 * 60),
            schedulingTimeout: Duration = .seconds(600),
            dryRun: Bool = false,
            pollInterval: Duration = .milliseconds(250)
        ) {
            self.namespace = namespace
            self.restoreName = restoreName
            self.restoreUID = restoreUID
            self.owner = owner
            self.backupStorageLocation = backupStorageLocation
            self.uploaderSettings = uploaderSettings
            self.timeout = timeout
            self.schedulingTimeout = schedulingTimeout
            self.dryRun = dryRun
            self.pollInterval = pollInterval
        }
    }

    /// A restored pod whose volumes are being restored.
    struct TrackedPod: Sendable {
        var namespace: String
        var name: String
        var uid: String
        /// Index in `entries` of each created PodVolumeRestore, by its name.
        var restores: [String: Int]
    }

    struct State: Sendable {
        var pods: [TrackedPod] = []
        var entries: [RestoreReport.PodVolumeEntry] = []
    }

    let client: KubeClient
    let backups: BackupPodVolumes
    let configuration: Configuration
    let log: RunLog
    let deadline: ContinuousClock.Instant
    let state = Locked(State())

    /// A restorer for one restore; the timeout runs from now.
    package init(client: KubeClient, backups: BackupPodVolumes, configuration: Configuration, log: RunLog) {
        self.client = client
        self.backups = backups
        self.configuration = configuration
        self.log = log
        self.deadline = ContinuousClock.now + configuration.timeout
    }

    /// The pod volumes restored so far (or planned, in a dry run), in the order the pods were created.
    package var entries: [RestoreReport.PodVolumeEntry] { state.value.entries }

    // MARK: - creating

    /// Creates the PodVolumeRestores of a pod just created (in a dry run: records what would be created).
    /// - Parameters:
    ///   - pod: the pod as the server returned it (with its UID), or the dry-run object.
    ///   - sourceNamespace: the pod's namespace in the backup.
    /// - Returns: the errors to add to the restore (volumes of unreadable uploaders, failed creations).
    package func podCreated(_ pod: KubeObject, sourceNamespace: String) async -> [String] {
        let name = pod.name ?? ""
        let namespace = pod.namespace ?? sourceNamespace
        let volumes = backups.volumes(pod: name, sourceNamespace: sourceNamespace, podVolumes: pod["spec"]?["volumes"])
        guard !volumes.isEmpty else { return [] }
        var errors: [String] = []
        var tracked = TrackedPod(namespace: namespace, name: name, uid: pod.uid ?? "", restores: [:])
        var newEntries: [RestoreReport.PodVolumeEntry] = []
        for volume in volumes {
            var entry = RestoreReport.PodVolumeEntry(
                name: nil,
                podNamespace: namespace,
                podName: name,
                volume: volume.name,
                sourceNamespace: sourceNamespace,
                snapshotID: volume.snapshotID,
                uploaderType: volume.uploaderType,
                repoIdentifier: volume.repoIdentifier,
                phase: configuration.dryRun ? DataMovePhase.new : ""
            )
            guard volume.isReadable else {
                let message = Self.unreadableMessage(namespace: namespace, pod: name, volume: volume)
                entry.phase = DataMovePhase.failed
                entry.message = message
                errors.append(message)
                log.error(message)
                newEntries.append(entry)
                continue
            }
            if configuration.dryRun {
                newEntries.append(entry)
                continue
            }
            do {
                let created = try await create(volume: volume, pod: pod, sourceNamespace: sourceNamespace)
                entry.name = created
                tracked.restores[created] = newEntries.count
                log.info("Created PodVolumeRestore \(configuration.namespace)/\(created) for \(entry.displayName)")
            } catch {
                let message = "pod volume restore of \(entry.displayName) could not be created: \(error)"
                entry.phase = DataMovePhase.failed
                entry.message = message
                errors.append(message)
                log.error(message)
            }
            newEntries.append(entry)
        }
        state.withLock { state in
            let base = state.entries.count
            state.entries += newEntries
            tracked.restores = tracked.restores.mapValues { $0 + base }
            if !tracked.restores.isEmpty { state.pods.append(tracked) }
        }
        return errors
    }

    /// The error of a volume whose data is in a repository Lifeboat cannot read.
    static func unreadableMessage(namespace: String, pod: String, volume: BackupPodVolumes.Volume) -> String {
        "pod volume restore of \(namespace)/\(pod): \(volume.name) failed: volume \(volume.name) was backed up by the "
            + "\(volume.uploaderType) uploader (snapshot \(volume.snapshotID)), whose repository Lifeboat cannot "
            + "read; only restic repositories are restored. The pod starts without this volume's data"
    }

    /// Creates one PodVolumeRestore (Velero's `newPodVolumeRestore`) and returns its generated name.
    private func create(
        volume: BackupPodVolumes.Volume,
        pod: KubeObject,
        sourceNamespace: String
    ) async throws
        -> String
    {
        var labels = [
            VeleroLabels.restoreName: RestoreMetadata.validLabelValue(configuration.restoreName),
            VeleroLabels.restoreUID: configuration.restoreUID,
            VeleroLabels.podUID: pod.uid ?? "",
        ]
        let claim = (pod["spec"]?["volumes"]?.arrayValue ?? []).first { $0["name"]?.stringValue == volume.name }?[
            "persistentVolumeClaim"
        ]?["claimName"]?.stringValue
        if let claim {
            do {
                let pvc = try await client.get(Self.claims, namespace: pod.namespace, name: claim)
                labels[VeleroLabels.pvcUID] = pvc.uid ?? ""
            } catch {
                throw BackupEngineError(
                    code: .cluster,
                    message: "error getting persistent volume claim for volume",
                    cause: error
                )
            }
        }
        var metadata = ObjectMeta(namespace: configuration.namespace, labels: labels)
        metadata.generateName = configuration.restoreName + "-"
        metadata.ownerReferences = configuration.owner.map { [$0] }
        var spec = PodVolumeRestore.Spec(
            pod: ObjectReference(kind: "Pod", namespace: pod.namespace, name: pod.name, uid: pod.uid),
            volume: volume.name,
            backupStorageLocation: configuration.backupStorageLocation ?? volume.backupStorageLocation,
            repoIdentifier: volume.repoIdentifier,
            snapshotID: volume.snapshotID,
            sourceNamespace: sourceNamespace
        )
        spec.uploaderType = volume.uploaderType
        spec.snapshotSize = volume.snapshotSize
        spec.uploaderSettings = configuration.uploaderSettings
        let restore = PodVolumeRestore(metadata: metadata, spec: spec)
        guard let object = KubeObject(try JSONValue(encoding: restore)) else {
            throw BackupEngineError(code: .internal, message: "a PodVolumeRestore did not encode as an object")
        }
        // Velero's CreateRetryGenerateName: a generated name that is taken is generated again.
        for attempt in 0..<3 {
            do {
                let created = try await client.create(
                    PodVolumeRestore.resource,
                    namespace: configuration.namespace,
                    object
                )
                return created.name ?? ""
            } catch let error as KubeError where error.code == .alreadyExists && attempt < 2 {
                continue
            }
        }
        throw BackupEngineError(code: .cluster, message: "could not generate a free PodVolumeRestore name")
    }

    static let claims = GroupVersionResource(group: "", version: "v1", resource: "persistentvolumeclaims")
}
