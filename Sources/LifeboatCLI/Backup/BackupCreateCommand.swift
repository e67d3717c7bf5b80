import ArgumentParser
import BackupEngine
import Controllers
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat backup create NAME`: runs a backup in direct mode (no server needed).
struct BackupCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Back up Kubernetes objects to a backup storage location (runs in this process)."
    )

    @OptionGroup var globals: GlobalOptions
    @Argument(help: ArgumentHelp("The backup's name (optional with --from-schedule).", valueName: "name"))
    var backupName: String?
    @Option(
        name: .long,
        help: "Create the backup from an existing schedule's template (no other filters; the name is optional)."
    )
    var fromSchedule: String?
    @OptionGroup var template: BackupTemplateOptions
    @Option(name: .long, help: "How long to wait for pod volume backups (Go duration; default 240m).")
    var podVolumeOperationTimeout: String = "240m"
    @Option(name: .long, help: "Page size of LIST requests.") var pageSize: Int = 500
    @Flag(name: [.short, .long], help: "Wait for completion (always true in direct mode).") var wait = false
    @Option(name: .shortAndLong, help: "json or yaml: print the Backup instead of creating it (table: create it).")
    var output: OutputFormat = .table
    @OptionGroup var execution: ExecutionOptions

    func validate() throws {
        if let fromSchedule, fromSchedule.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("flag must have a non-empty value: --from-schedule")
        }
        guard fromSchedule != nil || backupName != nil else {
            throw ValidationError("a backup name is required, unless you are creating based on a schedule")
        }
        if let name = backupName, !KubeNames.isDNSSubdomain(name) {
            throw ValidationError(
                "backup name \(name.debugDescription) is invalid: use lowercase letters, digits, '-' and '.'"
            )
        }
        guard pageSize > 0 else { throw ValidationError("--page-size must be positive") }
        guard let timeout = GoDuration.parse(podVolumeOperationTimeout), timeout > .zero else {
            throw ValidationError(
                "--pod-volume-operation-timeout \(podVolumeOperationTimeout.debugDescription) is not a positive "
                    + "duration (e.g. 240m, 1h30m)"
            )
        }
    }

    func run() async throws {
        // From a schedule: its template as Velero's `BackupBuilder.FromSchedule` makes it, other filters ignored.
        var fromTemplate: Backup?
        if let scheduleName = fromSchedule?.trimmingCharacters(in: .whitespaces) {
            let schedule = try await globals.withClient { client in
                try await ScheduleCommand.get(client, namespace: globals.installNamespace, name: scheduleName)
            }
            fromTemplate = ScheduleDecision.backup(of: schedule, at: Date())
        }
        let name = backupName ?? fromTemplate?.name ?? ""
        var spec = fromTemplate?.spec ?? BackupSpec()
        if fromTemplate == nil { try template.apply(to: &spec) }
        var metadata = ObjectMeta(name: name)
        metadata.labels = try KeyValueList.parse(template.labels, flag: "--labels")
        metadata.annotations = try KeyValueList.parse(template.annotations, flag: "--annotations")
        if let fromTemplate {
            metadata.labels = (fromTemplate.metadata.labels ?? [:]).merging(metadata.labels ?? [:]) { _, given in given
            }
            metadata.annotations = fromTemplate.metadata.annotations
            metadata.ownerReferences = fromTemplate.metadata.ownerReferences
        }
        guard output == .table else {
            // Velero's create commands with -o display the object but do not send it to the server.
            metadata.namespace = globals.installNamespace
            print(try Render.items([Backup(metadata: metadata, spec: spec)], kind: "BackupList", format: output))
            return
        }
        let volumeTimeout = GoDuration.parse(podVolumeOperationTimeout) ?? .seconds(240 * 60)
        if try await execution.usesServer(globals, what: "backup") {
            // The server's own timeout applies unless this one was given (Velero's per-backup annotation).
            if volumeTimeout != .seconds(240 * 60) {
                metadata.annotations = (metadata.annotations ?? [:]).merging(
                    [VeleroAnnotations.podVolumeTimeout: GoDuration.format(volumeTimeout)]
                ) { _, given in given }
            }
            try await ServerModeRun.submit(
                Backup(metadata: metadata, spec: spec),
                resource: Backup.resource,
                kind: "backup",
                name: name,
                wait: wait,
                globals: globals
            )
            return
        }
        let volumeProgress = PodVolumeProgressLine(isTTY: isatty(STDERR_FILENO) != 0)

        let isTTY = isatty(STDERR_FILENO) != 0
        let (result, results) = try await SignalCancellation.exitOnInterruption {
            try await DirectMode.with(globals, onRetry: RetryLine.printer(isTTY: isTTY)) { mode in
                let (location, store): (BackupStorageLocation, BackupStore)
                do {
                    (location, store) = try await mode.locations.writableStore(template.storageLocation)
                } catch let error as BackupEngineError
                    where error.code == .storageUnavailable || error.code == .invalidLocation
                {
                    // The location exists but cannot hold the backup: the failed run is recorded, as Velero records
                    // a backup that failed validation, so that `backup get` shows it.
                    var failed = Backup(metadata: metadata, spec: spec)
                    failed.spec.storageLocation =
                        (try? await mode.locations.get(template.storageLocation))?.metadata.name
                        ?? template.storageLocation
                    await BackupRunner.recordFailure(
                        of: failed,
                        reason: "\(error)",
                        client: mode.client,
                        namespace: mode.namespace,
                        logger: mode.logger
                    )
                    throw CLIError("\(error)")
                }
                spec.storageLocation = location.metadata.name
                metadata.labels = (metadata.labels ?? [:])
                    .merging([VeleroLabels.storageLocation: location.metadata.name ?? ""]) { a, _ in a }
                // Hooks (issue 21): the pods' annotation hooks and the spec's hooks run around their volumes.
                let hooks: BackupHooks
                do {
                    hooks = try BackupHooks(client: mode.client, backup: Backup(metadata: metadata, spec: spec))
                } catch {
                    throw CLIError("\(error)")
                }
                let configuration = BackupRunner.Configuration(
                    namespace: mode.namespace,
                    pageSize: pageSize,
                    progress: { progress in
                        let text =
                            "\(progress.itemsBackedUp) items backed up (\(progress.totalItems) collected) \(progress.currentResource)"
                        if isTTY {
                            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
                        } else {
                            FileHandle.standardError.write(Data("progress: \(text)\n".utf8))
                        }
                    },
                    progressInterval: isTTY ? .milliseconds(250) : .seconds(5),
                    started: { [name] _ in
                        // As Velero: once the Backup exists, not before a validation failure or a name conflict.
                        print("Backup request \"\(name)\" submitted successfully.")
                    },
                    podVolumes: PodVolumeBackupper.Configuration(
                        location: location,
                        resolver: StorageLocationResolver(
                            client: mode.client,
                            namespace: mode.namespace,
                            factory: mode.locations.factory,
                            logger: mode.logger
                        ),
                        timeout: volumeTimeout,
                        progress: { volumeProgress.update($0) }
                    ),
                    hooks: hooks
                )
                let runner = BackupRunner(
                    client: mode.client,
                    store: store,
                    configuration: configuration,
                    logger: mode.logger
                )
                let request = Backup(metadata: metadata, spec: spec)
                do {
                    // Ctrl-C or SIGTERM cancels the run, which marks the Backup Failed and removes what it wrote.
                    let backup = try await SignalCancellation.run { try await runner.run(request) }
                    if isTTY { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    return (backup, await BackupDescribeCommand.results(of: name, in: store))
                } catch let interrupted as SignalCancellation.Interrupted {
                    if isTTY { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    throw interrupted
                } catch {
                    if isTTY { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                    throw CLIError("\(error)")
                }
            }
        }
        let phase = result.status?.phase ?? "Unknown"
        let items = result.status?.progress?.itemsBackedUp ?? 0
        print(
            "Backup completed with status: \(phase). \(items) items, \(result.status?.errors ?? 0) errors, \(result.status?.warnings ?? 0) warnings."
        )
        // The text of what was counted, as `backup describe` prints it.
        var counted = BackupDescribeCommand.messages(
            count: result.status?.errors ?? 0,
            results.map(\.errors),
            kind: "errors"
        )
        counted += BackupDescribeCommand.messages(
            count: result.status?.warnings ?? 0,
            results.map(\.warnings),
            kind: "warnings"
        )
        print(counted, terminator: "")
        let volumes = volumeProgress.summary
        if !volumes.isEmpty {
            print("Pod volume backups:")
            for line in volumes { print(line) }
        }
        print(
            "You may check for more information using the commands `lifeboat backup describe \(name)` and `lifeboat backup logs \(name)`."
        )
        if phase != BackupPhase.completed { throw ExitCode(1) }
    }
}
