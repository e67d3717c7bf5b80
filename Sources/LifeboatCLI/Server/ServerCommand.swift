import ArgumentParser
import BackupEngine
import Controllers
import Foundation
import Kubernetes
import Logging
import ObjectStorage
import Prometheus
import ServiceLifecycle
import UnixSignals
import VeleroAPI

/// `lifeboat server`: the controllers that process the velero.io resources of the install namespace (Velero's
/// `velero server`): Backups applied with kubectl or made by Schedules run here; Schedules fire on their cron;
/// locations are validated and synced; expired backups are garbage-collected through DeleteBackupRequests, which
/// are processed here. Of several replicas only the holder of the Lease `lifeboat-server` processes anything.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the controllers that process the velero.io resources (Velero's `velero server`)."
    )

    @OptionGroup var globals: GlobalOptions
    @Option(name: .customLong("default-backup-ttl"), help: "TTL of backups whose spec has none (Go duration).")
    var defaultBackupTTL = "720h"
    @Option(name: .customLong("concurrent-backups"), help: "Backups run at once.") var concurrentBackups = 1
    @Option(name: .customLong("schedule-skip-immediately"), help: "Skip the first tick of new schedules (true|false).")
    var scheduleSkipImmediately = false
    @Option(name: .customLong("client-page-size"), help: "Page size of LIST requests.") var clientPageSize = 500
    @Option(
        name: .customLong("restore-resource-priorities"),
        help: "The order restores create resource types in (Velero's syntax; default Velero's order)."
    )
    var restoreResourcePriorities: String?
    @Option(name: .customLong("fs-backup-timeout"), help: "How long a backup waits for its pod volume backups.")
    var fsBackupTimeout = "240m"
    @Option(
        name: .customLong("store-validation-frequency"),
        help: "How often locations are validated, unless they set validationFrequency (Go duration; 0: once)."
    )
    var storeValidationFrequency = "1m"
    @Option(
        name: .customLong("garbage-collection-frequency"),
        help: "How often backups are checked for expiry (Go duration; 0 or less: 1h)."
    )
    var garbageCollectionFrequency = "1h"
    @Option(
        name: .customLong("backup-sync-period"),
        help: "How often locations are synced into the cluster, unless they set backupSyncPeriod (0 or less: 1m)."
    )
    var backupSyncPeriod = "1m"
    @Option(name: .customLong("leader-elect"), help: "Campaign for the Lease before processing (true|false).")
    var leaderElect = true
    @Option(name: .customLong("lease-name"), help: "The Lease that elects the processing replica.")
    var leaseName = "lifeboat-server"
    @Option(name: .customLong("leader-elect-lease-duration"), help: "How long a Lease lasts unrenewed (Go duration).")
    var leaseDuration = "15s"
    @Option(name: .customLong("leader-elect-renew-deadline"), help: "How long the leader tries to renew (Go duration).")
    var renewDeadline = "10s"
    @Option(name: .customLong("leader-elect-retry-period"), help: "The wait between Lease attempts (Go duration).")
    var retryPeriod = "2s"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (stderr).")
    var logLevel = "info"
    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line, logrus's keys).")
    var logFormat: LogFormat = .text
    @Option(
        name: .customLong("default-volumes-to-fs-backup"),
        help: "Back up pod volumes with file-system backup when a Backup does not say (true|false)."
    )
    var defaultVolumesToFsBackup = false
    @Option(
        name: .customLong("default-snapshot-move-data"),
        help: "Move snapshot data when a Backup does not say (true|false)."
    )
    var defaultSnapshotMoveData = false
    @Option(
        name: .customLong("default-backup-storage-location"),
        help: "The location of Backups that name none when no location is marked default."
    )
    var defaultBackupStorageLocation = "default"
    @Option(name: .customLong("resource-timeout"), help: "How long to wait for resources (Go duration).")
    var resourceTimeout = "10m"
    @Option(
        name: .customLong("default-item-operation-timeout"),
        help: "How long a Backup's item operations may take when it does not say (Go duration)."
    )
    var defaultItemOperationTimeout = "4h"
    @Option(
        name: .customLong("default-repo-maintain-frequency"),
        help: "How often repositories are pruned unless their BackupRepository says (Go duration; 0: a week)."
    )
    var defaultRepoMaintainFrequency = "0s"
    @Option(
        name: .customLong("uploader-type"),
        help: "The file-system backup uploader: restic (Lifeboat writes restic repositories)."
    )
    var uploaderType = "restic"
    @Option(
        name: .customLong("metrics-address"),
        help: "Where GET /metrics is served (host:port; :8085 is every interface)."
    )
    var metricsAddress = ":8085"

    func validate() throws {
        guard let ttl = GoDuration.parse(defaultBackupTTL), ttl > .zero else {
            throw ValidationError(
                "--default-backup-ttl \(defaultBackupTTL.debugDescription) is not a positive duration"
            )
        }
        guard concurrentBackups > 0 else {
            throw ValidationError("--concurrent-backups \(concurrentBackups) must be at least 1")
        }
        guard let timeout = GoDuration.parse(fsBackupTimeout), timeout > .zero else {
            throw ValidationError("--fs-backup-timeout \(fsBackupTimeout.debugDescription) is not a positive duration")
        }
        for (flag, value) in [
            ("--store-validation-frequency", storeValidationFrequency),
            ("--garbage-collection-frequency", garbageCollectionFrequency),
            ("--backup-sync-period", backupSyncPeriod),
            ("--resource-timeout", resourceTimeout),
            ("--default-item-operation-timeout", defaultItemOperationTimeout),
            ("--default-repo-maintain-frequency", defaultRepoMaintainFrequency),
        ] where GoDuration.parse(value) == nil {
            throw ValidationError("\(flag) \(value.debugDescription) is not a duration (e.g. 30s, 1m, 1h)")
        }
        guard clientPageSize > 0 else { throw ValidationError("--client-page-size \(clientPageSize) must be positive") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel) is unknown")
        }
        try Self.checkUploaderType(uploaderType)
        try validateMetricsAddress()
    }

    /// `--uploader-type` of the server and of `install`: only restic, the format Lifeboat writes.
    static func checkUploaderType(_ value: String) throws {
        guard value == "restic" else {
            throw ValidationError(
                "--uploader-type \(value.debugDescription) is not supported: Lifeboat writes restic repositories (restic)"
            )
        }
    }

    /// This replica's identity in the Lease: the pod's name in a cluster, else host name and process ID.
    static var identity: String {
        let environment = ProcessInfo.processInfo.environment
        if let pod = environment["POD_NAME"], !pod.isEmpty { return pod }
        var buffer = [UInt8](repeating: 0, count: 256)
        let named = buffer.withUnsafeMutableBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { chars in
                guard let base = chars.baseAddress else { return false }
                return gethostname(base, chars.count) == 0
            }
        }
        let host = named ? String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self) : "localhost"
        return "\(host)-\(getpid())"
    }

    /// What ServerStatusRequests list as the server's plugins: Lifeboat's built-in item actions and object stores,
    /// under Velero's names where Lifeboat implements the same plugin.
    static var plugins: [ServerStatusRequest.PluginInfo] {
        let backupActions = ["velero.io/pod", "velero.io/pv", "velero.io/service-account"].map {
            ServerStatusRequest.PluginInfo(name: $0, kind: "BackupItemAction")
        }
        let restoreActions = RestoreItemActions.builtIn.map {
            ServerStatusRequest.PluginInfo(name: $0.name, kind: "RestoreItemAction")
        }
        let stores = ["velero.io/aws", "lifeboat.io/filesystem"].map {
            ServerStatusRequest.PluginInfo(name: $0, kind: "ObjectStore")
        }
        return backupActions + restoreActions + stores
    }

    private func restorePriorities() throws -> RestorePriorities {
        do {
            return try restoreResourcePriorities.map { try RestorePriorities(parsing: $0) } ?? .default
        } catch {
            throw ValidationError("--restore-resource-priorities: \(error)")
        }
    }

    func run() async throws {
        let logger = logFormat.logger(label: "lifeboat.server", level: Logger.Level(rawValue: logLevel) ?? .info)
        let namespace = globals.installNamespace
        let registry = PrometheusCollectorRegistry()
        let configuration = ServerControllers<ContinuousClock>.Configuration(
            namespace: namespace,
            concurrentBackups: concurrentBackups,
            defaultBackupTTL: GoDuration.parse(defaultBackupTTL) ?? .seconds(720 * 3600),
            scheduleSkipImmediately: scheduleSkipImmediately,
            pageSize: clientPageSize,
            fsBackupTimeout: GoDuration.parse(fsBackupTimeout) ?? .seconds(240 * 60),
            storeValidationFrequency: max(.zero, GoDuration.parse(storeValidationFrequency) ?? .seconds(60)),
            garbageCollectionFrequency: GoDuration.parse(garbageCollectionFrequency) ?? .seconds(3600),
            backupSyncPeriod: GoDuration.parse(backupSyncPeriod) ?? .seconds(60),
            restorePriorities: try restorePriorities(),
            backupDefaults: BackupRunner.ServerDefaults(
                storageLocation: defaultBackupStorageLocation,
                itemOperationTimeout: GoDuration.parse(defaultItemOperationTimeout) ?? .seconds(4 * 3600),
                resourceTimeout: GoDuration.parse(resourceTimeout) ?? .seconds(600),
                defaultVolumesToFsBackup: defaultVolumesToFsBackup,
                snapshotMoveData: defaultSnapshotMoveData
            ),
            repositoryMaintenanceFrequency: GoDuration.parse(defaultRepoMaintainFrequency).flatMap {
                $0 > .zero ? $0 : nil
            },
            serverVersion: LifeboatVersion.current,
            plugins: Self.plugins,
            metricsFactory: Self.metricsFactory(registry)
        )
        let log = logger
        let leaderElect = self.leaderElect
        let leaseName = self.leaseName
        let (leaseDuration, renewDeadline, retryPeriod) = (self.leaseDuration, self.renewDeadline, self.retryPeriod)
        try await globals.withClient { client in
            let controllers = ServerControllers(
                client: client,
                configuration: configuration,
                locations: StorageLocations(
                    client: client,
                    namespace: namespace,
                    factory: ObjectStoreFactory(environment: ProcessInfo.processInfo.environment),
                    logger: log
                ),
                clock: ContinuousClock(),
                logger: log
            )
            let service: any Service
            if leaderElect {
                let elector = LeaderElector(
                    client: client,
                    configuration: .init(
                        leaseName: leaseName,
                        namespace: namespace,
                        identity: Self.identity,
                        leaseDuration: GoDuration.parse(leaseDuration) ?? .seconds(15),
                        renewDeadline: GoDuration.parse(renewDeadline) ?? .seconds(10),
                        retryPeriod: GoDuration.parse(retryPeriod) ?? .seconds(2)
                    ),
                    clock: ContinuousClock(),
                    logger: log
                )
                service = LeaderElectedService(elector: elector, service: controllers)
            } else {
                service = controllers
            }
            log.info(
                "lifeboat server starting",
                metadata: ["namespace": "\(namespace)", "identity": "\(Self.identity)"]
            )
            // The metrics services stop last (a group stops its services in reverse order).
            let services = metricsServices(controllers, registry: registry, client: client, logger: log) + [service]
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: log)
            )
            try await group.run()
            log.info("lifeboat server stopped")
        }
    }
}
