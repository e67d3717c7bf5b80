import Foundation
package import Kubernetes
package import Logging
import ObjectStorage
package import VeleroAPI

/// Progress of a running restore.
package struct RestoreProgress: Sendable, Hashable {
    package var itemsRestored: Int
    package var totalItems: Int
    package var currentResource: String
}

/// The result of a restore run: the Restore with its final status and the per-object report.
package struct RestoreOutcome: Sendable {
    package var restore: Restore
    package var report: RestoreReport
    package var results: Results
}

/// Restores a Velero-format backup into the cluster in direct mode: Velero's ordering, filters,
/// metadata reset and item actions, with objects of one priority level created in parallel.
///
/// With `dryRun` it computes the whole plan against the live cluster (server-side dry run for
/// creates) and changes nothing.
///
/// ```swift
/// let runner = RestoreRunner(client: client, store: store, configuration: .init(parallelism: 16), logger: logger)
/// let outcome = try await runner.run(Restore(metadata: ObjectMeta(name: "r1"), spec: RestoreSpec(backupName: "b1")))
/// ```
package struct RestoreRunner: Sendable {
    package struct Configuration: Sendable {
        /// The install namespace (Restore CR, plugin and modifier ConfigMaps).
        package var namespace: String
        /// Objects created at once within a priority level (the start when `adaptiveParallelism` is set).
        package var parallelism: Int
        /// Adapt the number of writers to what the API server sustains (``AdaptiveParallelism``), from
        /// `parallelism` up to `maximumParallelism`.
        package var adaptiveParallelism: Bool = false
        /// The most writers an adaptive restore runs.
        package var maximumParallelism: Int = 256
        /// Compute the plan only.
        package var dryRun: Bool
        /// `--restore-resource-priorities`.
        package var priorities: RestorePriorities
        /// How long to wait for CRDs to become Established (Velero's `--resource-timeout`).
        package var resourceTimeout: Duration
        /// How long to wait for a Terminating namespace to go away.
        package var terminatingTimeout: Duration
        /// Record the Restore CR in the cluster when its CRD exists.
        package var recordInCluster: Bool
        /// Take over a `New` Restore CR of the run's name (the server runs a Restore applied with kubectl or made by
        /// `restore create`) instead of refusing the name.
        package var adoptExisting: Bool = false
        /// How long the pod volume restores may take in all (Velero's `--pod-volume-operation-timeout`; the
        /// Restore's `velero.io/pod-volume-timeout` annotation overrides it).
        package var podVolumeOperationTimeout: Duration
        /// The image of the `restore-wait` init container when no plugin ConfigMap names one.
        package var restoreHelperImage: String
        package var progress: (@Sendable (RestoreProgress) -> Void)?

        package init(
            namespace: String = "velero",
            parallelism: Int = 16,
            dryRun: Bool = false,
            priorities: RestorePriorities = .default,
            resourceTimeout: Duration = .seconds(600),
            terminatingTimeout: Duration = .seconds(600),
            recordInCluster: Bool = true,
            podVolumeOperationTimeout: Duration = .seconds(240 * 60),
            restoreHelperImage: String = RestoreWaitContainer.lifeboatImage,
            progress: (@Sendable (RestoreProgress) -> Void)? = nil
        ) {
            self.namespace = namespace
            self.parallelism = max(1, parallelism)
            self.dryRun = dryRun
            self.priorities = priorities
            self.resourceTimeout = resourceTimeout
            self.terminatingTimeout = terminatingTimeout
            self.recordInCluster = recordInCluster
            self.podVolumeOperationTimeout = podVolumeOperationTimeout
            self.restoreHelperImage = restoreHelperImage
            self.progress = progress
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

    /// Runs the restore (or the dry run).
    /// - Throws: `BackupEngineError` before anything is created when the backup is missing or corrupt,
    ///   the spec or a referenced ConfigMap is invalid.
    package func run(_ restore: Restore) async throws -> RestoreOutcome {
        do {
            return try await runUninterrupted(restore)
        } catch let error as BackupEngineError where error.code == .interrupted {
            throw error
        } catch {
            guard Task.isCancelled || error is CancellationError else { throw error }
            throw BackupEngineError(
                code: .interrupted,
                message: "restore \(restore.name) was interrupted before it changed the cluster"
            )
        }
    }

    /// The failure reason of a restore stopped by Ctrl-C or SIGTERM.
    package static let interruptedReason =
        "interrupted: the run was stopped (SIGINT or SIGTERM) before it completed; objects created so far stay"

    private func runUninterrupted(_ restore: Restore) async throws -> RestoreOutcome {
        var restore = restore
        let name = restore.name
        guard let backupName = restore.spec.backupName, !backupName.isEmpty else {
            throw BackupEngineError(
                code: .invalidSpec,
                message: "restore \(name): spec.backupName is required (--from-backup)"
            )
        }
        guard KubeNames.isDNSSubdomain(name) else {
            throw BackupEngineError(
                code: .invalidSpec,
                message: "restore name \(name.debugDescription) is not a valid name"
            )
        }
        let log = RunLog(context: "restore=\(configuration.namespace)/\(name)")

        // 1. Everything that can fail is checked before the cluster is touched.
        guard let backup = try await store.backup(named: backupName) else {
            throw BackupEngineError(
                code: .notFound,
                message: "backup \(backupName.debugDescription) not found in the backup storage location"
            )
        }
        if let phase = backup.status?.phase, phase != BackupPhase.completed && phase != BackupPhase.partiallyFailed {
            throw BackupEngineError(
                code: .invalidSpec,
                message:
                    "backup \(backupName) is in phase \(phase); only Completed or PartiallyFailed backups can be restored"
            )
        }
        if !configuration.dryRun, try await store.store.exists(store.layout.restoreResults(name)) {
            throw BackupEngineError(
                code: .alreadyExists,
                message: "restore \(name) already exists in the backup storage location"
            )
        }
        let contents = try await BackupContents.read(
            try await store.tarball(of: backupName),
            source: store.layout.backupContents(backupName)
        )
        let policy: ExistingObjectComparison.Policy
        switch restore.spec.existingResourcePolicy ?? "" {
        case "": policy = .unset
        case "none": policy = .none
        case "update": policy = .update
        case let other:
            throw BackupEngineError(
                code: .invalidSpec,
                message: "existingResourcePolicy \(other.debugDescription) is invalid: use none or update"
            )
        }
        let discovery = try await client.discovery(refresh: true)
        let inputs = try await RestoreInputs.load(
            client: client,
            namespace: configuration.namespace,
            spec: restore.spec,
            discovery: discovery
        )
        let selection = try RestoreSelection(spec: restore.spec, contents: contents, discovery: discovery)
        let podVolumeBackups = try await BackupPodVolumes.load(
            store: store,
            backup: backupName,
            client: client,
            namespace: configuration.namespace
        )
        let helperConfiguration =
            podVolumeBackups.isEmpty
            ? nil
            : try await RestoreInputs.pluginConfig(
                client: client,
                namespace: configuration.namespace,
                plugin: RestoreWaitContainer.plugin
            )
        // Hooks (issue 21): a malformed spec.hooks fails the restore before the cluster is touched.
        let hookSpec = try RestoreHookSpec(json: restore.spec.hooks)

        // 2. The run.
        let start = Date()
        restore.metadata.namespace = configuration.namespace
        var status = RestoreStatus(phase: "InProgress")
        status.startTimestamp = Timestamps.format(start)
        status.progress = RestoreStatus.Progress(totalItems: selection.selectedCount, itemsRestored: 0)
        restore.status = status
        let recorder =
            configuration.recordInCluster && !configuration.dryRun
            ? await CRRecorder.make(
                client: client,
                resource: Restore.resource,
                namespace: configuration.namespace,
                logger: logger
            )
            : nil
        if let recorder {
            // Recorded `InProgress` from the start (a `New` one is a request for a server to run).
            try await recorder.create(restore, name: name, adopt: configuration.adoptExisting)
            await recorder.updateStatus(restore, name: name)
        }
        log.info("Starting restore of backup \(configuration.namespace)/\(backupName)")
        if contents.isEmpty { log.warning("zero items to be restored") }
        let podVolumes = await podVolumeRestorer(
            restore: restore,
            backup: backup,
            backups: podVolumeBackups,
            selection: selection,
            recorded: recorder != nil,
            log: log
        )
        let podVolumeContext = podVolumes.map {
            PodVolumeRestoreContext(
                backups: podVolumeBackups,
                restoreUID: $0.configuration.restoreUID,
                container: RestoreWaitContainer(
                    configuration: helperConfiguration,
                    defaultImage: configuration.restoreHelperImage
                )
            )
        }

        let executor = RestoreExecutor(
            client: client,
            configuration: configuration,
            restoreName: name,
            backupName: backupName,
            spec: restore.spec,
            policy: policy,
            contents: contents,
            selection: selection,
            inputs: inputs,
            podVolumes: podVolumes,
            podVolumeContext: podVolumeContext,
            log: log,
            logger: logger
        )
        // Hooks (issue 21): created pods' exec hooks run while the restore goes on; it ends when they have.
        let execHooks = RestoreExecHooks(
            client: client,
            spec: hookSpec,
            log: log,
            waitLimit: configuration.resourceTimeout
        )
        let (report, itemResults) = await execHooks.withHooks { start in
            var hooked = executor
            hooked.podHooks = RestorePodHooks(spec: hookSpec, created: start)
            var (report, results) = await hooked.execute(discovery: discovery)
            // The pods' volumes are restored before their application containers (and so their exec hooks) start.
            if let podVolumes {
                for error in await podVolumes.waitForAll() { results.errors.addVelero(error) }
                report.podVolumes = podVolumes.entries
            }
            return (report, results)
        }
        var results = itemResults
        results.errors.merge(execHooks.errors())
        restore.status?.hookStatus = execHooks.totals().hookStatus
        if Task.isCancelled {
            // Stopped by a signal: say so in the Restore (shielded from the cancellation) and write no results,
            // so the name can be used again by a retry.
            let created = report.entries.count(of: [.create, .update])
            restore.status?.phase = "Failed"
            restore.status?.failureReason = Self.interruptedReason
            restore.status?.completionTimestamp = Timestamps.now()
            let failed = restore
            await Task { await recorder?.updateStatus(failed, name: name) }.value
            throw BackupEngineError(
                code: .interrupted,
                message:
                    "restore \(name) was interrupted: \(recorder == nil ? "" : "marked the Restore Failed, ")\(created) object\(created == 1 ? "" : "s") created or updated so far stay, no results were written"
            )
        }

        // 3. Final status and records.
        let restored = report.entries.count(of: [.create, .update, .skip, .conflict])
        restore.status?.progress = RestoreStatus.Progress(totalItems: selection.selectedCount, itemsRestored: restored)
        restore.status?.errors = results.errors.count
        restore.status?.warnings = results.warnings.count
        restore.status?.phase = results.errors.isEmpty ? "Completed" : "PartiallyFailed"
        restore.status?.completionTimestamp = Timestamps.now()
        log.info("restore completed", fields: [("phase", restore.status?.phase ?? "")])
        if !configuration.dryRun {
            do {
                try await persist(name: name, report: report, results: results, log: log)
            } catch {
                logger.info("could not upload the records of restore \(name): \(error)")
                let warnings = restore.status?.warnings ?? 0
                restore.status?.warnings = warnings + 1
            }
            await recorder?.updateStatus(restore, name: name)
        }
        return RestoreOutcome(restore: restore, report: report, results: results)
    }

    private func persist(name: String, report: RestoreReport, results: Results, log: RunLog) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        var resultBytes = try encoder.encode(results)
        resultBytes.append(0x0A)
        try await store.putGzipped(store.layout.restoreResults(name), Array(resultBytes))
        try await store.store.putData(store.layout.restoreResourceList(name), bytes: try report.resourceListFile())
        try await store.store.putData(store.layout.restoreLog(name), bytes: log.gzipped())
    }
}
