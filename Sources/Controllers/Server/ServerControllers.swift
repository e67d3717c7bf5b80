package import BackupEngine
package import CoreMetrics
package import Foundation
package import Kubernetes
package import Logging
import ServiceLifecycle
package import VeleroAPI

/// The controllers of `lifeboat server` for one install namespace (Velero's `velero server`): Backup, Restore, Schedule,
/// BackupStorageLocation (validation), GC, DeleteBackupRequest, BackupSync, DownloadRequest and
/// ServerStatusRequest, each on the shared controller runtime
/// (informer, work queue, workers).
///
/// Run it under a ``LeaderElectedService`` so that of several replicas only one processes objects. When it starts
/// leading it first marks the Backups and Restores left `InProgress` by a previous leader `Failed` (Velero's
/// `markInProgressCRsFailed`, with its reason), then starts the controllers.
package struct ServerControllers<C: Clock>: Service where C.Duration == Duration {
    /// The server's settings (`velero server` flags).
    package struct Configuration: Sendable {
        /// The install namespace.
        package var namespace: String
        /// `--concurrent-backups`: Backups run at once.
        package var concurrentBackups: Int
        /// `--default-backup-ttl`.
        package var defaultBackupTTL: Duration
        /// `--schedule-skip-immediately`.
        package var scheduleSkipImmediately: Bool
        /// `--client-page-size`.
        package var pageSize: Int
        /// `--fs-backup-timeout`: how long a backup waits for its PodVolumeBackups.
        package var fsBackupTimeout: Duration
        /// `--store-validation-frequency`: how often locations without their own `validationFrequency` are
        /// validated (0: once).
        package var storeValidationFrequency: Duration
        /// `--garbage-collection-frequency`: how often every Backup is checked for expiry.
        package var garbageCollectionFrequency: Duration
        /// `--backup-sync-period`: how often locations without their own `backupSyncPeriod` are synced.
        package var backupSyncPeriod: Duration
        /// `--restore-resource-priorities`: the order restores create resource types in.
        package var restorePriorities: RestorePriorities
        /// `--default-repo-maintain-frequency` (nil: each repository's own, else a week).
        package var repositoryMaintenanceFrequency: Duration?
        /// What the server sets on Backups that do not say (`--default-volumes-to-fs-backup`, …).
        package var backupDefaults: BackupRunner.ServerDefaults
        /// The version ServerStatusRequests are answered with.
        package var serverVersion: String
        /// The plugins ServerStatusRequests list (Lifeboat's built-in actions and object stores).
        package var plugins: [ServerStatusRequest.PluginInfo]
        /// The wall-clock source (schedules, timestamps).
        package var now: @Sendable () -> Date
        /// Where Velero's metrics are recorded (``ServerMetrics``); by default nowhere.
        package var metricsFactory: any MetricsFactory

        package init(
            namespace: String = "velero",
            concurrentBackups: Int = 1,
            defaultBackupTTL: Duration = .seconds(720 * 3600),
            scheduleSkipImmediately: Bool = false,
            pageSize: Int = 500,
            fsBackupTimeout: Duration = .seconds(240 * 60),
            storeValidationFrequency: Duration = .seconds(60),
            garbageCollectionFrequency: Duration = .seconds(3600),
            backupSyncPeriod: Duration = .seconds(60),
            restorePriorities: RestorePriorities = .default,
            backupDefaults: BackupRunner.ServerDefaults = .init(),
            repositoryMaintenanceFrequency: Duration? = nil,
            serverVersion: String = "unknown",
            plugins: [ServerStatusRequest.PluginInfo] = [],
            now: @escaping @Sendable () -> Date = { Date() },
            metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
        ) {
            self.namespace = namespace
            self.concurrentBackups = concurrentBackups
            self.defaultBackupTTL = defaultBackupTTL
            self.scheduleSkipImmediately = scheduleSkipImmediately
            self.pageSize = pageSize
            self.fsBackupTimeout = fsBackupTimeout
            self.storeValidationFrequency = storeValidationFrequency
            self.garbageCollectionFrequency = garbageCollectionFrequency
            self.backupSyncPeriod = backupSyncPeriod
            self.restorePriorities = restorePriorities
            self.backupDefaults = backupDefaults
            self.repositoryMaintenanceFrequency = repositoryMaintenanceFrequency
            self.serverVersion = serverVersion
            self.plugins = plugins
            self.now = now
            self.metricsFactory = metricsFactory
        }
    }

    let client: KubeClient
    let configuration: Configuration
    let locations: StorageLocations
    let clock: C
    let logger: Logger
    /// Velero's metrics, recorded through the configuration's factory (also for ``InventoryMetrics``).
    package let metrics: ServerMetrics

    package init(
        client: KubeClient,
        configuration: Configuration,
        locations: StorageLocations,
        clock: C,
        logger: Logger
    ) {
        self.client = client
        self.configuration = configuration
        self.locations = locations
        self.clock = clock
        self.logger = logger
        self.metrics = ServerMetrics(factory: configuration.metricsFactory)
    }

    package func run() async throws {
        let namespace = configuration.namespace
        await Self.markInProgressFailed(client: client, namespace: namespace, now: configuration.now, logger: logger)

        let backups = Informer(
            client: client,
            configuration: .init(resource: Backup.resource, namespace: namespace),
            indexers: ScheduleReconciler.backupIndexers,
            clock: clock,
            logger: logger
        )
        let schedules = Informer(
            client: client,
            configuration: .init(resource: Schedule.resource, namespace: namespace),
            clock: clock,
            logger: logger
        )
        let backupController = Controller(
            informer: backups,
            reconciler: BackupReconciler(
                client: client,
                namespace: namespace,
                locations: locations,
                runner: .init(
                    namespace: namespace,
                    pageSize: configuration.pageSize,
                    defaultTTL: configuration.defaultBackupTTL,
                    serverDefaults: configuration.backupDefaults
                ),
                fsBackupTimeout: configuration.fsBackupTimeout,
                metrics: metrics,
                logger: logger
            ),
            configuration: .init(
                name: "backup",
                workers: max(1, configuration.concurrentBackups),
                predicate: BackupReconciler.predicate
            ),
            logger: logger
        )
        let queueInformer = informer(Backup.resource)
        let queueController = Controller(
            informer: queueInformer,
            reconciler: BackupQueueReconciler(
                client: client,
                namespace: namespace,
                concurrentBackups: configuration.concurrentBackups,
                cache: queueInformer.cache,
                logger: logger
            ),
            configuration: .init(name: "backup-queue", predicate: BackupQueueReconciler.predicate),
            logger: logger
        )
        BackupQueueReconciler.dispatchOnChanges(of: queueInformer, into: queueController.queue)
        let scheduleController = Controller(
            informer: schedules,
            reconciler: ScheduleReconciler(
                client: client,
                namespace: namespace,
                backups: backups.cache,
                skipImmediatelyDefault: configuration.scheduleSkipImmediately,
                now: configuration.now,
                metrics: metrics,
                logger: logger
            ),
            configuration: .init(name: "schedule"),
            logger: logger
        )
        // A schedule waiting for its running Backup looks again when that Backup changes.
        backups.addHandler { event in
            guard let schedule = event.object.labels[VeleroLabels.scheduleName] else { return }
            scheduleController.queue.add(NamespacedName(namespace: namespace, name: schedule))
        }
        let restoreController = Controller(
            informer: informer(Restore.resource),
            reconciler: RestoreReconciler(
                client: client,
                namespace: namespace,
                locations: locations,
                runner: RestoreRunner.Configuration(namespace: namespace, priorities: configuration.restorePriorities),
                metrics: metrics,
                logger: logger
            ),
            configuration: .init(name: "restore"),
            logger: logger
        )
        let storage = storageControllers()
        let requests = requestControllers()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await restoreController.run() }
            group.addTask { try await requests.download.run() }
            group.addTask { try await requests.serverStatus.run() }
            group.addTask { try await queueController.run() }
            group.addTask { try await backupController.run() }
            group.addTask { try await scheduleController.run() }
            group.addTask { try await storage.validation.run() }
            group.addTask { try await storage.sync.run() }
            group.addTask { try await storage.gc.run() }
            group.addTask { try await storage.deletion.run() }
            group.addTask { try await repositoryController().run() }
        }
    }

    /// The controllers of locations and backup lifetimes: validation, sync, GC and deletion requests. Each has its
    /// own informer (a controller queues every change of its informer).
    func storageControllers() -> (
        validation: Controller<StorageLocationReconciler, C>,
        sync: Controller<BackupSyncReconciler, C>,
        gc: Controller<GarbageCollectionReconciler, C>,
        deletion: Controller<DeleteBackupRequestReconciler, C>
    ) {
        let now = configuration.now
        let validation = Controller(
            informer: informer(BackupStorageLocation.resource),
            reconciler: StorageLocationReconciler(
                client: client,
                locations: locations,
                serverFrequency: configuration.storeValidationFrequency,
                now: now,
                metrics: metrics,
                logger: logger
            ),
            configuration: .init(name: "backup-storage-location"),
            logger: logger
        )
        let sync = Controller(
            informer: informer(BackupStorageLocation.resource),
            reconciler: BackupSyncReconciler(
                client: client,
                locations: locations,
                defaultPeriod: configuration.backupSyncPeriod,
                now: now,
                logger: logger
            ),
            configuration: .init(name: "backup-sync"),
            logger: logger
        )
        let gc = Controller(
            informer: informer(Backup.resource),
            reconciler: GarbageCollectionReconciler(
                client: client,
                frequency: configuration.garbageCollectionFrequency,
                now: now,
                logger: logger
            ),
            configuration: .init(name: "gc", predicate: GarbageCollectionReconciler.predicate),
            logger: logger
        )
        let deletion = Controller(
            informer: informer(DeleteBackupRequest.resource),
            reconciler: DeleteBackupRequestReconciler(
                client: client,
                locations: locations,
                now: now,
                metrics: metrics,
                logger: logger
            ),
            configuration: .init(name: "backup-deletion"),
            logger: logger
        )
        return (validation, sync, gc, deletion)
    }

    /// The BackupRepository controller: repository maintenance on each repository's frequency.
    func repositoryController() -> Controller<BackupRepositoryReconciler, C> {
        Controller(
            informer: informer(BackupRepository.resource),
            reconciler: BackupRepositoryReconciler(
                client: client,
                locations: locations,
                serverFrequency: configuration.repositoryMaintenanceFrequency,
                metrics: metrics,
                now: configuration.now,
                logger: logger
            ),
            configuration: .init(name: "backup-repository"),
            logger: logger
        )
    }

    /// An informer of `resource` in the install namespace (each controller has its own: a controller queues every
    /// change of its informer).
    func informer(_ resource: GroupVersionResource) -> Informer<C> {
        Informer(
            client: client,
            configuration: .init(resource: resource, namespace: configuration.namespace),
            clock: clock,
            logger: logger
        )
    }

    /// The controllers of requests: DownloadRequest and ServerStatusRequest.
    func requestControllers() -> (
        download: Controller<DownloadRequestReconciler, C>,
        serverStatus: Controller<ServerStatusRequestReconciler, C>
    ) {
        let download = Controller(
            informer: informer(DownloadRequest.resource),
            reconciler: DownloadRequestReconciler(
                client: client,
                locations: locations,
                now: configuration.now,
                logger: logger
            ),
            configuration: .init(name: "download-request"),
            logger: logger
        )
        let serverStatus = Controller(
            informer: informer(ServerStatusRequest.resource),
            reconciler: ServerStatusRequestReconciler(
                client: client,
                serverVersion: configuration.serverVersion,
                plugins: configuration.plugins,
                now: configuration.now,
                logger: logger
            ),
            configuration: .init(name: "server-status-request"),
            logger: logger
        )
        return (download, serverStatus)
    }

    /// Velero's `markInProgressCRsFailed`: Backups and Restores `InProgress` when a server starts leading were being
    /// run by a process that is gone; they end `Failed` with Velero's reason (nothing of theirs looks complete: the
    /// engine uploads the metadata that makes a backup visible last).
    package static func markInProgressFailed(
        client: KubeClient,
        namespace: String,
        now: @Sendable () -> Date,
        logger: Logger
    ) async {
        for (resource, kind) in [(Backup.resource, "backup"), (Restore.resource, "restore")] {
            let items: [KubeObject]
            do {
                items = try await client.list(resource, namespace: namespace).items
            } catch {
                logger.error("failed to list \(kind)s: \(error)")
                continue
            }
            for var item in items where item["status"]?["phase"]?.stringValue == BackupPhase.inProgress {
                let reason =
                    "found a \(kind) with status \"InProgress\" during the server starting, mark it as \"Failed\""
                var status = item.value["status"]?.objectValue ?? [:]
                status["phase"] = .string(BackupPhase.failed)
                status["failureReason"] = .string(reason)
                status["completionTimestamp"] = .string(Timestamps.format(now()))
                item.value["status"] = .object(status)
                do {
                    _ = try await client.writeStatus(resource, namespace: namespace, item)
                    logger.warning("\(reason)", metadata: [kind: "\(item.name ?? "")"])
                } catch {
                    logger.error("failed to mark \(kind) \(item.name ?? "") Failed: \(error)")
                }
            }
        }
    }
}
