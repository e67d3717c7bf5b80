import Foundation
package import Kubernetes
package import Logging
package import VeleroAPI

/// The file-system backup side of one backup run (Velero's `podvolume.Backupper` with the item backupper's post
/// hook handling): creates a pod's PodVolumeBackups for the node agents, keeps track of them while the item listing
/// goes on, runs each pod's post hooks once its PodVolumeBackups end, and waits for all of them at the end within
/// the pod volume operation timeout (then cancels those still running).
///
/// ```swift
/// let backupper = PodVolumeBackupper(client: client, backup: backup, configuration: config, hooks: nil, log: log,
///                                    logger: logger)
/// async let tracking: Void = backupper.run()
/// // … for each pod: await backupper.backUp(pod: pod, volumes: selected)
/// await backupper.finishCollection()
/// await tracking
/// let summary = await backupper.summary()
/// ```
package actor PodVolumeBackupper {
    /// Settings of the file-system backup of a run.
    package struct Configuration: Sendable {
        /// The backup's storage location (where the repositories live).
        package var location: BackupStorageLocation
        /// Resolves the location to object stores.
        package var resolver: StorageLocationResolver
        /// How long the backup waits for its PodVolumeBackups (Velero's `--pod-volume-operation-timeout`, 240m;
        /// the Backup's `velero.io/pod-volume-timeout` annotation overrides it).
        package var timeout: Duration
        /// How often the PodVolumeBackups are listed while the backup waits (one labelled LIST of the backup's own
        /// loads). A watch of them brings each change at once; the lists only make up for a watch that missed
        /// something (reconnecting).
        package var pollInterval: Duration
        /// Called with every PodVolumeBackup's progress after each read.
        package var progress: (@Sendable ([PodVolumeProgress]) -> Void)?

        package init(
            location: BackupStorageLocation,
            resolver: StorageLocationResolver,
            timeout: Duration = .seconds(240 * 60),
            pollInterval: Duration = .seconds(1),
            progress: (@Sendable ([PodVolumeProgress]) -> Void)? = nil
        ) {
            self.location = location
            self.resolver = resolver
            self.timeout = timeout
            self.pollInterval = pollInterval
            self.progress = progress
        }
    }

    /// One pod volume chosen for file-system backup.
    package struct Volume: Sendable {
        package var name: String
        /// The volume's claim, when it is a PVC volume.
        package var claim: KubeObject?
        package var facts: PodVolumeFacts

        package init(name: String, claim: KubeObject?, facts: PodVolumeFacts) {
            self.name = name
            self.claim = claim
            self.facts = facts
        }
    }

    /// What the file-system backup of the run produced.
    package struct Summary: Sendable {
        /// Every PodVolumeBackup as last read, in creation order (`<backup>-podvolumebackups.json.gz`).
        package var podVolumeBackups: [PodVolumeBackup]
        /// The volume info entries of the PodVolumeBackups.
        package var volumeInfos: [BackupVolumeInfo]
        /// Errors (failed, canceled, timed-out volumes; failed post hooks) and warnings.
        package var results: Results
        /// The post hooks' counts.
        package var postHooks: HookPhaseOutcome
        /// PV names whose data a PodVolumeBackup took.
        package var coveredVolumes: Set<String>
    }

    private let client: KubeClient
    private let backup: Backup
    private let configuration: Configuration
    private let hooks: (any BackupHookRunning)?
    private let log: RunLog
    private let logger: Logger
    private let repositories: PodVolumeRepositoryEnsurer
    private let presence: NodeAgentPresence
    private let timeout: Duration

    private var tracking = PodVolumeBackupTracking()
    /// PodVolumeBackups as the watch delivered them since the loop last looked.
    private var watched: [PodVolumeBackup] = []
    private let wake = WakeUp()
    private var servedNodes: [String: Bool] = [:]
    private var results = Results()
    private var postHooks = HookPhaseOutcome.none
    private var duePostHooks: [KubeObject] = []
    private var runningPostHooks = 0
    private var collectionFinished = false

    /// - Parameters:
    ///   - backup: the Backup, recorded in the cluster (its namespace, name, UID and spec are used).
    ///   - hooks: runs the pods' post hooks once their PodVolumeBackups end (nil: no hooks).
    package init(
        client: KubeClient,
        backup: Backup,
        configuration: Configuration,
        hooks: (any BackupHookRunning)?,
        log: RunLog,
        logger: Logger
    ) {
        self.client = client
        self.backup = backup
        self.configuration = configuration
        self.hooks = hooks
        self.log = log
        self.logger = logger
        let namespace = backup.metadata.namespace ?? "velero"
        repositories = PodVolumeRepositoryEnsurer(
            client: client,
            namespace: namespace,
            location: configuration.location,
            resolver: configuration.resolver,
            logger: logger
        )
        presence = NodeAgentPresence(client: client, namespace: namespace)
        timeout =
            backup.metadata.annotations?[VeleroAnnotations.podVolumeTimeout].flatMap(GoDuration.parse)
            ?? configuration.timeout
    }

    private var namespace: String { backup.metadata.namespace ?? "velero" }

    // MARK: - one pod

    /// Starts the file-system backup of `volumes` of `pod` (Velero's `BackupPodVolumes`): checks that a node agent
    /// serves the pod's node, ensures the namespace's repository, and creates one PodVolumeBackup per volume.
    ///
    /// - Returns: the names of the created PodVolumeBackups and the errors for the backup's results (a missing
    ///   node agent, a repository that cannot be used, a creation the API refused), each naming the pod.
    package func backUp(pod: KubeObject, volumes: [Volume]) async -> (created: [String], errors: [String]) {
        guard !volumes.isEmpty else { return ([], []) }
        let podName = "\(pod.namespace ?? "")/\(pod.name ?? "")"
        let names = volumes.map(\.name).joined(separator: ", ")
        log.info("pod \(podName) has volumes to backup: [\(names)]")
        let node = pod["spec"]?["nodeName"]?.stringValue ?? ""
        if let problem = await nodeProblem(node) {
            let message = "encountered a problem with backing up the volumes (\(names)) of pod \(podName): \(problem)"
            log.error(message)
            return ([], [message])
        }
        let repository: BackupRepository
        do {
            repository = try await repositories.ensure(volumeNamespace: pod.namespace ?? "")
        } catch {
            let message =
                "error ensuring the pod volume repository for the volumes (\(names)) of pod \(podName): \(error)"
            log.error(message)
            return ([], [message])
        }
        var created: [String] = []
        var errors: [String] = []
        for volume in volumes {
            let request = PodVolumeBackup.forVolume(
                of: backup,
                pod: pod,
                volume: volume.name,
                claim: volume.claim,
                repoIdentifier: repository.spec.resticIdentifier
            )
            do {
                let pvb = try await create(request)
                tracking.add(pvb, facts: volume.facts)
                created.append(pvb.name)
                log.info("created PodVolumeBackup \(namespace)/\(pvb.name) for volume \(volume.name) of pod \(podName)")
            } catch {
                let message = "error creating the PodVolumeBackup of volume \(volume.name) of pod \(podName): \(error)"
                log.error(message)
                errors.append(message)
            }
        }
        return (created, errors)
    }

    /// Runs `pod`'s post hooks once the named PodVolumeBackups have ended (at once when they have).
    package func runPostHooks(of pod: KubeObject, after backups: [String]) {
        guard hooks != nil else { return }
        let changes = tracking.waitForPod(pod, backups: backups)
        duePostHooks += changes.podsDone
        if !changes.podsDone.isEmpty { wake.signal() }
    }

    /// Says that no more pods come: ``run()`` returns once everything has ended.
    package func finishCollection() {
        collectionFinished = true
        wake.signal()
    }

    /// Creates with Velero's `CreateRetryGenerateName`: a generated name that collides is tried again.
    private func create(_ request: PodVolumeBackup) async throws -> PodVolumeBackup {
        guard let object = KubeObject(try JSONValue(encoding: request)) else {
            throw BackupEngineError(code: .internal, message: "a PodVolumeBackup did not encode as a JSON object")
        }
        var attempt = 0
        while true {
            do {
                return try await client.create(PodVolumeBackup.resource, namespace: namespace, object).value.decode(
                    as: PodVolumeBackup.self
                )
            } catch let error as KubeError where error.code == .alreadyExists && attempt < 3 {
                attempt += 1
            }
        }
    }

    /// Why no node agent can take the pod's volumes, or nil when one serves its node.
    private func nodeProblem(_ node: String) async -> String? {
        guard !node.isEmpty else { return "node name is empty" }
        if let served = servedNodes[node] {
            return served ? nil : NodeAgentPresence.notServedMessage(node: node)
        }
        do {
            let served = try await presence.serves(node: node)
            servedNodes[node] = served
            return served ? nil : NodeAgentPresence.notServedMessage(node: node)
        } catch {
            return "failed to check for node agents on node \(node): \(error)"
        }
    }

    // MARK: - waiting

    /// Follows the PodVolumeBackups until the collection has finished and all of them ended (or the timeout
    /// passed: the outstanding ones are then canceled), running post hooks as pods become done. Returns early when
    /// its task is cancelled.
    package func run() async {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var nextList = clock.now
        await withDiscardingTaskGroup { group in
            group.addTask { await self.follow() }
            defer { group.cancelAll() }
            while !Task.isCancelled {
                var changes = PodVolumeBackupTracking.Changes()
                if !tracking.outstanding.isEmpty {
                    if clock.now >= deadline {
                        changes = await timeOutOutstanding()
                    } else if clock.now >= nextList {
                        watched = []
                        changes = await refresh()
                        nextList = clock.now + configuration.pollInterval
                    } else if !watched.isEmpty {
                        changes = takeWatched()
                    }
                }
                record(changes)
                let due = duePostHooks
                duePostHooks = []
                if let hooks {
                    for pod in due {
                        runningPostHooks += 1
                        let log = self.log
                        group.addTask {
                            let outcome = await hooks.runPostHooks(pod: pod, log: log)
                            await self.recordPostHooks(outcome, pod: pod)
                        }
                    }
                }
                if collectionFinished && tracking.isSettled && duePostHooks.isEmpty && runningPostHooks == 0 {
                    break
                }
                // Until the next list, unless the watch, a post hook or the end of the collection wakes the loop.
                let nap = tracking.outstanding.isEmpty ? configuration.pollInterval : nextList - clock.now
                await wake.wait(upTo: max(nap, .zero))
            }
        }
    }

    /// Watches the run's PodVolumeBackups and wakes the waiting loop with each change, until cancelled.
    private func follow() async {
        guard let selector = try? ownSelector() else { return }
        do {
            for try await event in client.watch(
                PodVolumeBackup.resource,
                namespace: namespace,
                options: WatchOptions(labelSelector: selector)
            ) {
                guard event.type == .added || event.type == .modified,
                    let pvb = try? event.object.value.decode(as: PodVolumeBackup.self)
                else { continue }
                watched.append(pvb)
                wake.signal()
            }
        } catch {
            // The lists go on without the watch.
            if !Task.isCancelled {
                logger.info("watching the PodVolumeBackups of backup \(backup.name) ended: \(error)")
            }
        }
    }

    /// Takes in what the watch delivered.
    private func takeWatched() -> PodVolumeBackupTracking.Changes {
        let changes = tracking.update(watched)
        watched = []
        if let progress = configuration.progress {
            progress(tracking.all.map { PodVolumeProgress($0.podVolumeBackup, timedOut: $0.timedOut) })
        }
        return changes
    }

    /// The run's own PodVolumeBackups: by the Backup's UID, or its name when it has none.
    private func ownSelector() throws -> LabelSelector {
        let uid = backup.metadata.uid ?? ""
        return uid.isEmpty
            ? try LabelSelector(matchLabels: [VeleroLabels.backupName: RestoreMetadata.validLabelValue(backup.name)])
            : try LabelSelector(matchLabels: [VeleroLabels.backupUID: uid])
    }

    /// Cancels what is still running (the backup failed or was interrupted). Best effort.
    package func abandon() async {
        for entry in tracking.outstanding { await cancel(entry.podVolumeBackup.name) }
        _ = tracking.timeOut()
    }

    private func refresh() async -> PodVolumeBackupTracking.Changes {
        do {
            let selector = try ownSelector()
            let list = try await client.list(
                PodVolumeBackup.resource,
                namespace: namespace,
                options: ListOptions(labelSelector: selector)
            )
            // What the watch brought while the list was read goes after it (it is as new or newer).
            watched = list.items.compactMap { try? $0.value.decode(as: PodVolumeBackup.self) } + watched
            return takeWatched()
        } catch {
            logger.info("reading the PodVolumeBackups of backup \(backup.name) failed (retrying): \(error)")
            return PodVolumeBackupTracking.Changes()
        }
    }

    private func timeOutOutstanding() async -> PodVolumeBackupTracking.Changes {
        log.error("timed out waiting for all PodVolumeBackups to complete")
        for entry in tracking.outstanding { await cancel(entry.podVolumeBackup.name) }
        return tracking.timeOut()
    }

    /// Asks the node agent to stop a PodVolumeBackup (`spec.cancel: true`).
    private func cancel(_ name: String) async {
        do {
            _ = try await client.patch(
                PodVolumeBackup.resource,
                namespace: namespace,
                name: name,
                .merge(["spec": ["cancel": true]])
            )
        } catch {
            logger.info("canceling PodVolumeBackup \(namespace)/\(name) failed: \(error)")
        }
    }

    /// Records ended PodVolumeBackups in the results and queues the post hooks of done pods.
    private func record(_ changes: PodVolumeBackupTracking.Changes) {
        for entry in changes.ended {
            let pvb = entry.podVolumeBackup
            let what = "pod \(entry.pod) volume \(pvb.spec.volume) (PodVolumeBackup \(namespace)/\(pvb.name))"
            let podNamespace = pvb.spec.pod.namespace
            if entry.timedOut {
                let message =
                    "timed out waiting for all PodVolumeBackups to complete: \(what) did not end within "
                    + "\(GoDuration.format(timeout)) and was canceled"
                log.error(message)
                results.errors.add(namespace: podNamespace, message)
            } else if pvb.status?.phase == DataMovePhase.failed {
                let message = "pod volume backup failed: \(what): \(pvb.status?.message ?? "")"
                log.error(message)
                results.errors.add(namespace: podNamespace, message)
            } else if pvb.status?.phase == DataMovePhase.canceled {
                let message = "pod volume backup canceled: \(what): \(pvb.status?.message ?? "")"
                log.error(message)
                results.errors.add(namespace: podNamespace, message)
            } else {
                log.info("pod volume backup completed: \(what), snapshot \(pvb.status?.snapshotID ?? "")")
            }
        }
        duePostHooks += changes.podsDone
    }

    private func recordPostHooks(_ outcome: HookPhaseOutcome, pod: KubeObject) {
        runningPostHooks -= 1
        postHooks.attempted += outcome.attempted
        postHooks.failed += outcome.failed
        for message in outcome.errors { results.errors.add(namespace: pod.namespace, message) }
        for message in outcome.warnings { results.warnings.add(namespace: pod.namespace, message) }
        wake.signal()
    }

    // MARK: - results

    /// What the file-system backup produced (call after ``run()`` returned).
    package func summary() -> Summary {
        let entries = tracking.all
        var covered = Set<String>()
        for entry in entries {
            if let pv = entry.facts.persistentVolume { covered.insert(pv) }
        }
        return Summary(
            podVolumeBackups: entries.map(\.podVolumeBackup),
            volumeInfos: entries.map { BackupVolumeInfo(podVolumeBackup: $0.podVolumeBackup, volume: $0.facts) },
            results: results,
            postHooks: postHooks,
            coveredVolumes: covered
        )
    }
}

/// The progress of one PodVolumeBackup, for `backup create --wait`.
package struct PodVolumeProgress: Sendable, Hashable {
    /// `namespace/name` of the pod.
    package var pod: String
    package var volume: String
    /// The PodVolumeBackup's name.
    package var name: String
    /// Its phase (`New`, `Accepted`, `Prepared`, `InProgress`, `Completed`, `Failed`, `Canceled`); `TimedOut` when
    /// the backup stopped waiting for it.
    package var phase: String
    package var bytesDone: Int64
    package var totalBytes: Int64
    package var message: String?

    package init(_ pvb: PodVolumeBackup, timedOut: Bool = false) {
        pod = "\(pvb.spec.pod.namespace ?? "")/\(pvb.spec.pod.name ?? "")"
        volume = pvb.spec.volume
        name = pvb.name
        phase = timedOut ? "TimedOut" : (pvb.status?.phase ?? DataMovePhase.new)
        bytesDone = pvb.status?.progress?.bytesDone ?? 0
        totalBytes = pvb.status?.progress?.totalBytes ?? 0
        message = pvb.status?.message
    }
}
