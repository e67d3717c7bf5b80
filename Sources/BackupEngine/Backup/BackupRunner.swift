import AsyncAlgorithms
import Foundation
package import Kubernetes
package import Logging
import NIOCore
import ObjectStorage
package import VeleroAPI

/// Progress of a running backup, reported at most a few times per second.
package struct BackupProgress: Sendable, Hashable {
    package var itemsBackedUp: Int
    /// Items seen so far (grows as lists are read; Velero's `totalItems`).
    package var totalItems: Int
    /// The resource being listed.
    package var currentResource: String
}

/// Runs a backup of Kubernetes objects in direct mode: lists through the API, writes Velero's
/// tarball and metadata to a `BackupStore`, and records the Backup CR in the cluster when the
/// velero.io CRDs exist.
///
/// ```swift
/// let runner = BackupRunner(client: client, store: store, configuration: .init(namespace: "velero"), logger: logger)
/// let result = try await runner.run(Backup(metadata: ObjectMeta(name: "nightly"), spec: spec))
/// print(result.status?.phase ?? "")
/// ```
package struct BackupRunner: Sendable {
    package struct Configuration: Sendable {
        /// The install namespace where the Backup CR is recorded.
        package var namespace: String
        /// Page size of LIST requests (Velero's `--client-page-size`).
        package var pageSize: Int
        /// Record the Backup CR in the cluster when its CRD exists.
        package var recordInCluster: Bool
        /// Default TTL when the spec has none (Velero's `--default-backup-ttl`, 720h).
        package var defaultTTL: Duration
        /// Called with progress at most every `progressInterval`.
        package var progress: (@Sendable (BackupProgress) -> Void)?
        package var progressInterval: Duration
        /// Called once when the backup starts: the spec is valid, the name is claimed and the Backup is recorded
        /// (where Velero's CLI says "Backup request … submitted successfully."). Not called when the run fails
        /// before.
        package var started: (@Sendable (Backup) -> Void)?
        /// How often the run rewrites its claim's heartbeat (see ``BackupClaim``).
        package var heartbeatInterval: Duration
        /// Server mode: the Backup CR exists already, `New` (applied with kubectl or made by a Schedule), and the
        /// run takes it over instead of creating it.
        package var adoptExisting: Bool = false
        /// File-system backup of pod volumes (nil: volumes chosen for it are reported as not backed up).
        package var podVolumes: PodVolumeBackupper.Configuration?
        // MARK: hooks (issue 21)
        /// The pods' pre and post backup hooks (``BackupHooks``); `nil` runs none. The outcomes the backup gets
        /// from it are counted into the Backup's `status.hookStatus`.
        package var hooks: (any BackupHookRunning)?
        /// What Velero's server sets on a Backup before running it (``ServerDefaults``).
        package var serverDefaults: ServerDefaults

        package init(
            namespace: String = "velero",
            pageSize: Int = 500,
            recordInCluster: Bool = true,
            defaultTTL: Duration = .seconds(720 * 3600),
            progress: (@Sendable (BackupProgress) -> Void)? = nil,
            progressInterval: Duration = .seconds(1),
            started: (@Sendable (Backup) -> Void)? = nil,
            heartbeatInterval: Duration = BackupClaim.heartbeatInterval,
            podVolumes: PodVolumeBackupper.Configuration? = nil,
            hooks: (any BackupHookRunning)? = nil,
            serverDefaults: ServerDefaults = ServerDefaults()
        ) {
            self.namespace = namespace
            self.pageSize = pageSize
            self.recordInCluster = recordInCluster
            self.defaultTTL = defaultTTL
            self.progress = progress
            self.progressInterval = progressInterval
            self.started = started
            self.heartbeatInterval = heartbeatInterval
            self.podVolumes = podVolumes
            self.hooks = hooks
            self.serverDefaults = serverDefaults
        }
    }

    package let client: KubeClient
    package let store: BackupStore
    package let configuration: Configuration
    package let logger: Logger

    package init(client: KubeClient, store: BackupStore, configuration: Configuration = Configuration(), logger: Logger)
    {
        self.client = client
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs the backup to completion.
    ///
    /// - Returns: the Backup with its final status (`Completed`, or `PartiallyFailed` when some items failed).
    /// - Throws: `BackupEngineError` before anything is written when the spec is invalid, the name is
    ///   taken or the location cannot be used; `.cluster` / `.storageUnavailable` when the run fails midway
    ///   (nothing is left that makes the backup look complete).
    package func run(_ backup: Backup) async throws -> Backup {
        let name = backup.name
        guard !name.isEmpty, KubeNames.isDNSSubdomain(name) else {
            throw BackupEngineError(
                code: .invalidSpec,
                message:
                    "backup name \(name.debugDescription) is not a valid name (lowercase letters, digits, '-' and '.', at most 253 characters)"
            )
        }
        let log = RunLog(context: "backup=\(configuration.namespace)/\(name)")
        let start = Date()

        // 1. Location: reachable, valid and free of a backup with this name; then the name is claimed so that
        //    a concurrent run of the same name cannot write into this run's files (nor this run into its).
        try await store.validate()
        if try await store.backup(named: name) != nil {
            throw BackupEngineError(
                code: .alreadyExists,
                message: "backup \(name) already exists in the backup storage location"
            )
        }
        let claim = BackupClaim.current(run: UUID().uuidString)
        try await store.claimBackupName(name, claim: claim)
        var recorded: RecordedBackup?
        do {
            let result = try await withHeartbeat(name, claim) {
                try await runClaimed(backup, log: log, start: start, recorded: &recorded)
            }
            // The backup is visible (or failed and cleaned up): the name is free again.
            try? await store.releaseBackupClaim(name)
            return result
        } catch {
            if Task.isCancelled || error is CancellationError {
                throw await cleanUpInterrupted(name, recorded: recorded)
            }
            // Whatever failed, this run's claim goes with the rest of what it wrote.
            try? await store.releaseBackupClaim(name)
            throw error
        }
    }

    /// Records a run that failed before it could start (its storage location cannot hold the backup) as a
    /// `Failed` Backup CR with `reason`, so that `backup get` and `kubectl get backups` show it. Best effort:
    /// nothing is recorded when the CRDs are missing or a Backup of that name exists in another phase.
    package static func recordFailure(
        of backup: Backup,
        reason: String,
        client: KubeClient,
        namespace: String,
        logger: Logger
    ) async {
        guard let recorder = await BackupRecorder.make(client: client, namespace: namespace, logger: logger) else {
            return
        }
        var failed = backup
        failed.metadata.namespace = namespace
        var status = BackupStatus(phase: BackupPhase.failed)
        status.failureReason = reason
        status.startTimestamp = Timestamps.now()
        status.completionTimestamp = status.startTimestamp
        failed.status = status
        do {
            try await recorder.start(&failed)
        } catch {
            logger.info("could not record the failed backup \(backup.name): \(error)")
        }
    }

    /// The Backup CR of a run once it is recorded in the cluster.
    private struct RecordedBackup: Sendable {
        var recorder: BackupRecorder
        var backup: Backup
    }

    /// The failure reason of a backup stopped by Ctrl-C or SIGTERM.
    package static let interruptedReason =
        "interrupted: the run was stopped (SIGINT or SIGTERM) before it completed; its partial files were removed"

    /// Cleans up after a cancelled run, shielded from the cancellation: marks the Backup CR Failed with
    /// ``interruptedReason``, removes the claim, the partial objects and the temporary files.
    /// - Returns: the `.interrupted` error saying what was cleaned up.
    private func cleanUpInterrupted(_ name: String, recorded: RecordedBackup?) async -> BackupEngineError {
        let store = self.store
        return await Task {
            var done: [String] = []
            if var recorded {
                recorded.backup.status?.phase = BackupPhase.failed
                recorded.backup.status?.failureReason = Self.interruptedReason
                recorded.backup.status?.completionTimestamp = Timestamps.now()
                await recorded.recorder.finish(recorded.backup)
                done.append("marked the Backup Failed")
            }
            var problems: [String] = []
            // Temporary files first: a folder is pruned only once it is empty.
            var abandonedText: String?
            do {
                let abandoned = try await store.removeAbandonedWrites(of: name)
                let plural = abandoned == 1 ? "" : "s"
                abandonedText = "\(abandoned) temporary file\(plural) or upload\(plural)"
            } catch {
                problems.append("temporary files: \(error)")
            }
            do {
                try await store.releaseBackupClaim(name)
                done.append("removed its claim")
            } catch {
                problems.append("the claim: \(error)")
            }
            do {
                let partial = try await store.deleteBackup(name)
                done.append("\(partial) partial object\(partial == 1 ? "" : "s")")
            } catch {
                problems.append("partial objects: \(error)")
            }
            if let abandonedText { done.append(abandonedText) }
            let left =
                problems.isEmpty
                ? ""
                : "; could not remove \(problems.joined(separator: "; ")) (`lifeboat backup delete \(name)` retries)"
            return BackupEngineError(
                code: .interrupted,
                message: "backup \(name) was interrupted: \(done.joined(separator: ", "))\(left)"
            )
        }.value
    }

    /// Runs `body` while a child task rewrites the claim's heartbeat every ``Configuration/heartbeatInterval``;
    /// the heartbeat has stopped when this returns.
    private func withHeartbeat<R: Sendable>(
        _ name: String,
        _ claim: BackupClaim,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> R
    ) async throws -> R {
        let store = self.store
        let interval = configuration.heartbeatInterval
        return try await withThrowingTaskGroup(of: Void.self, isolation: isolation) { group in
            group.addTask {
                while true {
                    try await Task.sleep(for: interval)
                    try? await store.heartbeat(name, claim: claim)
                }
            }
            do {
                let result = try await body()
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    private func runClaimed(
        _ backup: Backup,
        log: RunLog,
        start: Date,
        recorded: inout RecordedBackup?
    ) async throws -> Backup {
        var backup = backup
        let name = backup.name

        // 2. Plan against the cluster (namespaces labelled velero.io/exclude-from-backup=true are excluded in the
        //    spec, as Velero's server does).
        let labelledOut = try await namespacesExcludedByLabel()
        if !labelledOut.isEmpty {
            backup.spec.excludedNamespaces = (backup.spec.excludedNamespaces ?? []) + labelledOut
        }
        let discovery = try await client.discovery(refresh: true)
        let namespaces = try await activeNamespaces()
        let plan = try BackupPlan.make(spec: backup.spec, discovery: discovery, activeNamespaces: namespaces)
        let policies = try await resourcePolicies(of: backup)

        // 3. Defaults and the in-cluster record.
        let ttl =
            backup.spec.ttl.flatMap(GoDuration.parse).flatMap { $0 == .zero ? nil : $0 } ?? configuration.defaultTTL
        let serverVersion = try? await client.serverVersion()
        configuration.serverDefaults.apply(to: &backup, ttl: ttl, serverVersion: serverVersion)
        backup.metadata.namespace = configuration.namespace
        var status = BackupStatus(phase: BackupPhase.inProgress)
        status.version = 1
        status.formatVersion = TarballPaths.formatVersion
        status.startTimestamp = Timestamps.format(start)
        status.expiration = Timestamps.format(start.addingTimeInterval(TimeInterval(ttl.components.seconds)))
        backup.status = status
        let recorder =
            configuration.recordInCluster
            ? await BackupRecorder.make(client: client, namespace: configuration.namespace, logger: logger) : nil
        try await recorder?.start(&backup, adopt: configuration.adoptExisting)
        ServerDefaults.applyObjectIdentity(to: &backup, createdAt: start)
        if let recorder { recorded = RecordedBackup(recorder: recorder, backup: backup) }
        configuration.started?(backup)
        log.info("Starting backup", fields: [("includedNamespaces", plan.namespaces.includes.joined(separator: ","))])

        // 4. Collect and archive; pod volume data moves meanwhile, and the run waits for it at the end.
        let podVolumes = configuration.podVolumes.map {
            PodVolumeBackupper(
                client: client,
                backup: backup,
                configuration: $0,
                hooks: configuration.hooks,
                log: log,
                logger: logger
            )
        }
        var collector = ItemCollector(
            client: client,
            plan: plan,
            backupName: name,
            pageSize: configuration.pageSize,
            log: log,
            progress: configuration.progress,
            progressInterval: configuration.progressInterval,
            logger: logger
        )
        collector.selection = PodVolumeSelection(
            defaultVolumesToFsBackup: backup.spec.defaultVolumesToFsBackup ?? backup.spec.defaultVolumesToRestic
                ?? false,
            excludesClaims: !plan.resourceFilter.shouldInclude("persistentvolumeclaims", namespaced: true),
            policies: policies
        )
        collector.podVolumes = podVolumes
        collector.hooks = configuration.hooks
        var outcome: ItemCollector.Outcome
        let fileSystemBackup: PodVolumeBackupper.Summary?
        do {
            (outcome, fileSystemBackup) = try await collect(collector, podVolumes: podVolumes, start: start)
        } catch {
            log.error("Backup failed: \(error)")
            backup.status?.phase = BackupPhase.failed
            backup.status?.failureReason = "\(error)"
            backup.status?.completionTimestamp = Timestamps.now()
            await recorder?.finish(backup)
            throw (error as? BackupEngineError)
                ?? BackupEngineError(code: .cluster, message: "backup \(name) failed", cause: error)
        }
        var hooks = outcome.hooks
        if let fileSystemBackup {
            outcome.results.errors.merge(fileSystemBackup.results.errors)
            outcome.results.warnings.merge(fileSystemBackup.results.warnings)
            hooks.attempted += fileSystemBackup.postHooks.attempted
            hooks.failed += fileSystemBackup.postHooks.failed
        }
        // Velero's backupper always sets the hook status (`{}` when no hook ran; zero counts are omitted).
        backup.status?.hookStatus = HookTotals(attempted: hooks.attempted, failed: hooks.failed).hookStatus
        let skipped = Self.uncoveredVolumes(
            outcome.persistentVolumes,
            covered: fileSystemBackup?.coveredVolumes ?? [],
            snapshotVolumes: backup.spec.snapshotVolumes
        )
        if let warning = Self.uncoveredWarning(skipped, snapshotVolumes: backup.spec.snapshotVolumes) {
            outcome.results.warnings.addVelero(warning)
            log.warning(warning)
        }

        // 5. Final status, side files, then the metadata that makes the backup visible.
        backup.status?.progress = BackupStatus.Progress(
            totalItems: outcome.items.count,
            itemsBackedUp: outcome.items.count
        )
        backup.status?.errors = outcome.results.errors.count
        backup.status?.warnings = outcome.results.warnings.count
        backup.status?.phase = outcome.results.errors.isEmpty ? BackupPhase.completed : BackupPhase.partiallyFailed
        backup.status?.completionTimestamp = Timestamps.now()
        log.info(
            "Backup completed",
            fields: [("items", "\(outcome.items.count)"), ("phase", backup.status?.phase ?? "")]
        )
        do {
            try await persistSideFiles(
                name: name,
                outcome: outcome,
                fileSystemBackup: fileSystemBackup,
                skippedVolumes: skipped,
                log: log
            )
            try await store.putBackupMetadata(backup)
        } catch let error as BackupEngineError where error.code == .alreadyExists {
            // Another run took the name first: its backup is complete and is not ours to delete.
            throw error
        } catch {
            // Nothing half-written stays visible: remove what this run wrote.
            _ = try? await store.deleteBackup(name)
            backup.status?.phase = BackupPhase.failed
            backup.status?.failureReason = "\(error)"
            await recorder?.finish(backup)
            throw BackupEngineError(
                code: .storageUnavailable,
                message: "backup \(name): uploading to the storage location failed",
                cause: error
            )
        }
        await recorder?.finish(backup)
        return backup
    }

    private func persistSideFiles(
        name: String,
        outcome: ItemCollector.Outcome,
        fileSystemBackup: PodVolumeBackupper.Summary?,
        skippedVolumes: [BackupVolumeInfo],
        log: RunLog
    ) async throws {
        let layout = store.layout
        let results = Results(errors: outcome.results.errors, warnings: outcome.results.warnings)
        try await store.putGzipped(layout.backupResults(name), VeleroSideFiles.results(results))
        try await store.store.putData(layout.backupResourceList(name), bytes: try outcome.items.resourceListFile())
        try await store.putGzipped(layout.backupVolumeSnapshots(name), VeleroSideFiles.nativeVolumeSnapshots)
        try await store.putGzipped(layout.backupItemOperations(name), VeleroSideFiles.itemOperations)
        try await store.putGzipped(
            layout.backupPodVolumeBackups(name),
            try VeleroSideFiles.podVolumeBackups(fileSystemBackup?.podVolumeBackups ?? [])
        )
        let volumeInfos = skippedVolumes + (fileSystemBackup?.volumeInfos ?? [])
        try await store.putGzipped(layout.backupVolumeInfo(name), try VeleroSideFiles.volumeInfos(volumeInfos))
        try await store.store.putData(layout.backupLog(name), bytes: log.gzipped())
    }

    /// Names of namespaces whose phase is Active.
    private func activeNamespaces() async throws -> [String] {
        var names: [String] = []
        for try await ns in client.listObjects(.namespaces, options: ListOptions(limit: configuration.pageSize)) {
            let phase = ns["status"]?["phase"]?.stringValue ?? "Active"
            if phase == "Active", let name = ns.name { names.append(name) }
        }
        return names
    }
}
