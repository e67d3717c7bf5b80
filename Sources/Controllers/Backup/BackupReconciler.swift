package import BackupEngine
import Foundation
package import Kubernetes
package import Logging
import ObjectStorage
import VeleroAPI

/// The Backup controller's reconcile in server mode (Velero's `backupReconciler`): a Backup CR that is `New` (or
/// has no phase) — applied with kubectl, created by `lifeboat backup create` against a server, or by a Schedule —
/// is validated and run by the backup engine, which takes the CR over and writes its phases
/// (InProgress → Completed | PartiallyFailed | Failed). Backups in other phases are left alone.
///
/// A Backup whose location cannot be used or whose spec is invalid ends `FailedValidation` with the reasons in
/// `status.validationErrors`, as Velero's.
///
/// Velero's backup metrics are recorded here as Velero's controller records them: a validation failure, or an attempt
/// when the run starts, then its outcome and the run's size, duration and items (``ServerMetrics``).
package struct BackupReconciler: Reconciler {
    let client: KubeClient
    let namespace: String
    let locations: StorageLocations
    let runner: BackupRunner.Configuration
    let fsBackupTimeout: Duration
    let metrics: ServerMetrics
    let logger: Logger

    /// - Parameters:
    ///   - client: the API client.
    ///   - namespace: the install namespace (the server only runs Backups there).
    ///   - locations: the storage locations.
    ///   - runner: the engine's settings (`adoptExisting` and the file-system backup's location are set per run).
    ///   - fsBackupTimeout: how long a backup waits for its PodVolumeBackups (`--fs-backup-timeout`).
    ///   - metrics: where Velero's backup metrics are recorded.
    ///   - logger: where runs are logged.
    package init(
        client: KubeClient,
        namespace: String,
        locations: StorageLocations,
        runner: BackupRunner.Configuration,
        fsBackupTimeout: Duration = .seconds(240 * 60),
        metrics: ServerMetrics = ServerMetrics(),
        logger: Logger
    ) {
        self.fsBackupTimeout = fsBackupTimeout
        self.metrics = metrics
        self.client = client
        self.namespace = namespace
        self.locations = locations
        self.runner = runner
        self.logger = logger
    }

    /// Only Backups the queue made `ReadyToStart` are reconciled (the queue's renumbering of waiting Backups is not).
    package static func predicate(_ event: InformerEvent) -> Bool {
        if case .deleted = event { return false }
        return event.object["status"]?["phase"]?.stringValue == BackupPhase.readyToStart
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        guard key.namespace == namespace else { return ReconcileResult() }
        guard let object = try await client.getIfPresent(Backup.resource, namespace: key.namespace, name: key.name)
        else {
            return ReconcileResult()
        }
        // The queue (``BackupQueueReconciler``) hands Backups over `ReadyToStart`, as Velero 1.18's.
        guard object["status"]?["phase"]?.stringValue == BackupPhase.readyToStart else { return ReconcileResult() }
        let schedule = ServerMetrics.schedule(of: object.labels)
        var backup: Backup
        do {
            backup = try object.value.decode(as: Backup.self)
        } catch {
            try await failValidation(key, schedule: schedule, errors: ["the Backup cannot be read: \(error)"])
            return ReconcileResult()
        }
        logger.info("processing backup", metadata: ["backup": "\(key)"])

        let store: BackupStore
        var configuration = runner
        do {
            let (location, writable) = try await locations.writableStore(backup.spec.storageLocation)
            store = writable
            configuration.podVolumes = PodVolumeBackupper.Configuration(
                location: location,
                resolver: StorageLocationResolver(
                    client: client,
                    namespace: namespace,
                    factory: locations.factory,
                    logger: logger
                ),
                timeout: fsBackupTimeout
            )
            backup.spec.storageLocation = location.metadata.name
            var labels = backup.metadata.labels ?? [:]
            labels[VeleroLabels.storageLocation] = location.metadata.name ?? ""
            backup.metadata.labels = labels
        } catch {
            try await failValidation(key, schedule: schedule, errors: ["\(error)"])
            return ReconcileResult()
        }
        configuration.namespace = namespace
        configuration.adoptExisting = true
        let engine = BackupRunner(client: client, store: store, configuration: configuration, logger: logger)
        // The engine checks the spec as it starts: one it refuses counts as an attempt that failed validation.
        metrics.backupAttempt(schedule: schedule)
        do {
            let result = try await engine.run(backup)
            logger.info(
                "backup \(key) ended \(result.status?.phase ?? "?")",
                metadata: ["items": "\(result.status?.progress?.itemsBackedUp ?? 0)"]
            )
            let tarball = try? await store.store.head(store.layout.backupContents(result.name))
            metrics.backupRan(result, tarballSize: tarball?.size)
            metrics.backupEnded(phase: result.status?.phase ?? "", schedule: schedule)
        } catch let error as BackupEngineError where error.code == .invalidSpec {
            try await failValidation(key, schedule: schedule, errors: [error.message])
        } catch let error as BackupEngineError where error.code == .alreadyExists {
            // Another server took it, or the location already holds a backup of that name.
            let current = try? await client.get(Backup.resource, namespace: key.namespace, name: key.name)
            let now = current?["status"]?["phase"]?.stringValue ?? ""
            if now.isEmpty || now == BackupPhase.new || now == BackupPhase.readyToStart {
                try await failValidation(key, schedule: schedule, errors: [error.message])
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // Once the run started, the engine recorded the Backup Failed with the reason. A run that failed before
            // (e.g. the name is still claimed in the location by a server that died mid-start) would leave it
            // `New` for ever, holding its schedule: it ends Failed here.
            logger.error("backup \(key) failed: \(error)")
            metrics.backupEnded(phase: BackupPhase.failed, schedule: schedule)
            try await end(key, ["phase": .string(BackupPhase.failed), "failureReason": .string("\(error)")])
        }
        return ReconcileResult()
    }

    /// Writes phase `FailedValidation` with `errors` (Velero's `status.validationErrors`) and counts it.
    private func failValidation(_ key: NamespacedName, schedule: String, errors: [String]) async throws {
        logger.info("backup \(key) failed validation: \(errors.joined(separator: "; "))")
        metrics.backupEnded(phase: BackupPhase.failedValidation, schedule: schedule)
        try await end(
            key,
            ["phase": .string(BackupPhase.failedValidation), "validationErrors": .array(errors.map(JSONValue.string))]
        )
    }

    /// Ends the Backup if it is still `New` (``KubeClient/endIfNew(_:namespace:name:_:)``).
    private func end(_ key: NamespacedName, _ fields: JSONObject) async throws {
        try await client.endIfNew(Backup.resource, namespace: namespace, name: key.name, fields)
    }
}
