import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat restore create [NAME] --from-backup B`: restores in this process, in parallel, or previews with --dry-run.
struct RestoreCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Restore a backup (runs in this process; --dry-run previews the plan)."
    )

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The restore's name (default: <backup>-<YYYYMMDDhhmmss>).") var name: String?
    @Option(name: .long, help: "The backup to restore.") var fromBackup: String?
    @Option(name: .long, help: "Restore the schedule's most recent Completed backup.") var fromSchedule: String?
    @Option(
        name: .long,
        help: "With --from-schedule, also consider PartiallyFailed backups (true|false; bare means true)."
    )
    var allowPartiallyFailed: Bool?
    @Option(name: .long, help: "How long to wait for asynchronous item operations (a Go duration, e.g. 4h).")
    var itemOperationTimeout: String?
    @Option(name: .long, help: "Write sparse files when restoring volumes (true|false; bare means true).")
    var writeSparseFiles: Bool?
    @Option(name: .long, help: "Files restored in parallel per volume (0: the node's CPUs).")
    var parallelFilesDownload: Int?
    @Option(name: .long, help: "Namespaces to include (comma-separated, globs allowed).") var includeNamespaces:
        [String] = []
    @Option(name: .long, help: "Namespaces to exclude.") var excludeNamespaces: [String] = []
    @Option(name: .long, help: "Resources to include.") var includeResources: [String] = []
    @Option(name: .long, help: "Resources to exclude.") var excludeResources: [String] = []
    @Option(name: .long, help: "Include cluster-scoped resources (true|false; default: auto).")
    var includeClusterResources: Bool?
    @Option(name: .long, help: "Namespace mappings: src1:dst1,src2:dst2.") var namespaceMappings: String?
    @Option(
        name: [.customShort("l"), .customLong("selector")],
        help: "Only restore objects matching this label selector."
    )
    var selector: String?
    @Option(name: .long, help: "Restore objects matching any of these selectors: 'a=b or c=d'.") var orSelector: String?
    @Option(name: .long, help: "What to do with objects that exist: none (default) or update.")
    var existingResourcePolicy: String?
    @Option(name: .long, help: "Restore volume snapshots (true|false; default: auto).")
    var restoreVolumes: Bool?
    @Option(name: .long, help: "Keep node ports of services (true|false).") var preserveNodeports: Bool?
    @Option(name: .long, help: "Resources whose status is restored.") var statusIncludeResources: [String] = []
    @Option(name: .long, help: "Resources whose status is not restored.") var statusExcludeResources: [String] = []
    @Option(name: .long, help: "ConfigMap (in the install namespace) with resource modifier rules.")
    var resourceModifierConfigmap: String?
    @Option(name: .long, help: "Resource priorities: high,list,-,low,list (default: Velero's).")
    var restoreResourcePriorities: String?
    @Option(name: .long, help: "Labels for the restore (k=v,…).") var labels: [String] = []
    @Option(name: .long, help: "Annotations for the restore (k=v,…).") var annotations: [String] = []
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Objects created at once within a priority level (default: adapted to what the API server sustains, "
                + "from 16 up to 256)."
        )
    )
    var parallelism: Int?
    @Flag(name: .long, help: "Compute and print the plan against the live cluster; change nothing.") var dryRun = false
    @Option(name: .shortAndLong, help: "Output: table (default) or json (the full report).") var output: OutputFormat =
        .table
    @Flag(name: [.short, .long], help: "Wait for completion (always true in direct mode).") var wait = false
    @OptionGroup var execution: ExecutionOptions

    func validate() throws {
        guard (fromBackup == nil) != (fromSchedule == nil) else {
            throw ValidationError("either a backup or schedule must be specified, but not both")
        }
        if selector != nil, orSelector != nil {
            throw ValidationError("either a 'selector' or an 'or-selector' can be specified, but not both")
        }
        if let parallelFilesDownload, parallelFilesDownload < 0 {
            throw ValidationError("parallel-files-download cannot be negative")
        }
        if let itemOperationTimeout, GoDuration.parse(itemOperationTimeout) == nil {
            throw ValidationError(
                "--item-operation-timeout \(itemOperationTimeout.debugDescription) is not a duration (e.g. 4h)"
            )
        }
        if let parallelism, parallelism < 1 { throw ValidationError("--parallelism must be at least 1") }
        if let name, !KubeNames.isDNSSubdomain(name) {
            throw ValidationError("restore name \(name.debugDescription) is invalid")
        }
        if let policy = existingResourcePolicy, policy != "none" && policy != "update" {
            throw ValidationError(
                "--existing-resource-policy \(policy.debugDescription) is invalid: use none or update"
            )
        }
        _ = try mappings()
    }

    func mappings() throws -> [String: String]? {
        guard let namespaceMappings, !namespaceMappings.isEmpty else { return nil }
        var result: [String: String] = [:]
        for pair in namespaceMappings.split(separator: ",") {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--namespace-mappings: \(String(pair).debugDescription) is not src:dst")
            }
            guard result[parts[0]] == nil else {
                throw ValidationError("--namespace-mappings: \(parts[0]) is mapped twice")
            }
            result[parts[0]] = parts[1]
        }
        return result
    }

    func run() async throws {
        let restoreName = name ?? "\(fromBackup ?? fromSchedule ?? "")-\(Timestamps.nameSuffix(Date()))"
        var spec = RestoreSpec(backupName: fromBackup)
        spec.scheduleName = fromSchedule
        spec.itemOperationTimeout = itemOperationTimeout.flatMap(GoDuration.parse).map(GoDuration.format)
        if writeSparseFiles != nil || parallelFilesDownload != nil {
            spec.uploaderConfig = RestoreSpec.UploaderConfig(
                writeSparseFiles: writeSparseFiles,
                parallelFilesDownload: parallelFilesDownload
            )
        }
        spec.includedNamespaces = BackupFilterOptions.flatten(includeNamespaces)
        spec.excludedNamespaces = BackupFilterOptions.flatten(excludeNamespaces)
        spec.includedResources = BackupFilterOptions.flatten(includeResources)
        spec.excludedResources = BackupFilterOptions.flatten(excludeResources)
        spec.includeClusterResources = includeClusterResources
        spec.namespaceMapping = try mappings()
        if let selector, !selector.isEmpty {
            spec.labelSelector = try BackupFilterOptions.parse(selector, flag: "--selector")
        }
        if let orSelector, !orSelector.isEmpty {
            spec.orLabelSelectors = try orSelector.components(separatedBy: " or ").map {
                try BackupFilterOptions.parse($0.trimmingCharacters(in: .whitespaces), flag: "--or-selector")
            }
        }
        spec.existingResourcePolicy = existingResourcePolicy
        spec.restorePVs = restoreVolumes
        spec.preserveNodePorts = preserveNodeports
        let statusIn = BackupFilterOptions.flatten(statusIncludeResources)
        let statusOut = BackupFilterOptions.flatten(statusExcludeResources)
        if statusIn != nil || statusOut != nil {
            spec.restoreStatus = RestoreSpec.RestoreStatusSpec(
                includedResources: statusIn,
                excludedResources: statusOut
            )
        }
        if let resourceModifierConfigmap {
            spec.resourceModifier = TypedLocalObjectReference(kind: "ConfigMap", name: resourceModifierConfigmap)
        }
        let priorities: RestorePriorities
        do {
            priorities = try restoreResourcePriorities.map { try RestorePriorities(parsing: $0) } ?? .default
        } catch {
            throw ValidationError("--restore-resource-priorities: \(error)")
        }
        var metadata = ObjectMeta(name: restoreName)
        metadata.labels = try KeyValueList.parse(labels, flag: "--labels")
        metadata.annotations = try KeyValueList.parse(annotations, flag: "--annotations")
        if dryRun && execution.mode == .server {
            throw ValidationError("--dry-run computes the plan in this process: it cannot be used with --mode server")
        }
        if !dryRun, try await execution.usesServer(globals, what: "restore") {
            guard output == .table else {
                throw ValidationError("-o json prints the report of a restore run in this process (--mode direct)")
            }
            try await ServerModeRun.submit(
                Restore(metadata: metadata, spec: spec),
                resource: Restore.resource,
                kind: "restore",
                name: restoreName,
                wait: wait,
                globals: globals
            )
            return
        }

        let isTTY = isatty(STDERR_FILENO) != 0 && output == .table
        let outcome: RestoreOutcome = try await SignalCancellation.exitOnInterruption {
            // Writers adapt to the server unless fixed, so the client does not cap them (unless told to).
            let client = KubeClient.Configuration(
                qps: globals.clientQps ?? (parallelism == nil ? 0 : 100),
                burst: max(1, globals.clientBurst),
                maxConnections: parallelism.map { max(32, $0) } ?? 256
            )
            return try await DirectMode.with(globals, onRetry: RetryLine.printer(isTTY: isTTY), client: client) {
                mode in
                var spec = spec
                let backupName: String
                if let fromBackup {
                    backupName = fromBackup
                } else {
                    backupName = try await Self.latestBackup(
                        of: fromSchedule ?? "",
                        allowPartiallyFailed: allowPartiallyFailed ?? false,
                        mode: mode
                    )
                }
                spec.backupName = backupName
                let (location, _, _) = try await mode.locate(backup: backupName)
                // The location must answer, and take the restore's results unless it is read-only (or a dry run).
                let store: BackupStore
                do {
                    store = try await mode.locations.checkedStore(for: location, write: !dryRun && !location.isReadOnly)
                } catch {
                    throw CLIError("\(error)")
                }
                if !dryRun && output == .table { print("Restore request \"\(restoreName)\" submitted successfully.") }
                var configuration = RestoreRunner.Configuration(
                    namespace: mode.namespace,
                    parallelism: parallelism ?? 16,
                    dryRun: dryRun,
                    priorities: priorities,
                    progress: { progress in
                        guard isTTY else { return }
                        FileHandle.standardError.write(
                            Data(
                                "\r\u{1B}[K\(progress.itemsRestored)/\(progress.totalItems) items \(progress.currentResource)"
                                    .utf8
                            )
                        )
                    }
                )
                configuration.adaptiveParallelism = parallelism == nil
                let runner = RestoreRunner(
                    client: mode.client,
                    store: store,
                    configuration: configuration,
                    logger: mode.logger
                )
                defer { if isTTY { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
                let request = Restore(metadata: metadata, spec: spec)
                if fromSchedule != nil, output == .table {
                    print("Restoring backup \(backupName) of schedule \(fromSchedule ?? "").")
                }
                do {
                    // Ctrl-C or SIGTERM cancels the run, which marks the Restore Failed and writes no results.
                    return try await SignalCancellation.run { try await runner.run(request) }
                } catch let interrupted as SignalCancellation.Interrupted {
                    throw interrupted
                } catch {
                    throw CLIError("\(error)")
                }
            }
        }
        if output == .json {
            try RestoreReportText.writeJSON(outcome.report) { print($0, terminator: "") }
            print()
        } else {
            RestoreReportText.write(outcome.report, results: outcome.results, verbose: dryRun) {
                print($0, terminator: "")
            }
            print()
            let phase = outcome.restore.status?.phase ?? "Unknown"
            if dryRun {
                print("Dry run: nothing was changed.")
            } else {
                print(
                    "Restore completed with status: \(phase). \(outcome.restore.status?.errors ?? 0) errors, \(outcome.restore.status?.warnings ?? 0) warnings."
                )
                print(
                    "You may check for more information using the commands `lifeboat restore describe \(restoreName)` and `lifeboat restore logs \(restoreName)`."
                )
            }
        }
        if !dryRun && outcome.restore.status?.phase != "Completed" { throw ExitCode(1) }
        if dryRun && !outcome.results.errors.isEmpty { throw ExitCode(1) }
    }

    /// The schedule's backup to restore, as Velero's restore controller picks it: of the backups labelled
    /// `velero.io/schedule-name=<schedule>` in the storage locations, the one started last whose phase is
    /// Completed (or PartiallyFailed, when allowed).
    static func latestBackup(of schedule: String, allowPartiallyFailed: Bool, mode: DirectMode) async throws -> String {
        var candidates: [Backup] = []
        for location in try await mode.locations.list() {
            let store = try await mode.locations.store(for: location)
            for name in try await store.backupNames() {
                guard let backup = try await store.backup(named: name),
                    backup.metadata.labels?["velero.io/schedule-name"] == schedule
                else { continue }
                candidates.append(backup)
            }
        }
        guard !candidates.isEmpty else { throw CLIError("No backups found for the schedule \(schedule)") }
        let phases: Swift.Set<String> = allowPartiallyFailed ? ["Completed", "PartiallyFailed"] : ["Completed"]
        let started = { (backup: Backup) in backup.status?.startTimestamp.flatMap(Timestamps.parse) ?? .distantPast }
        // Start times have second precision: of two started in the same second, the later name (a schedule's
        // backups are named `<schedule>-<yyyyMMddHHmmss>`) is the newer.
        let newestFirst = candidates.sorted { a, b in
            started(a) != started(b) ? started(a) > started(b) : a.name > b.name
        }
        guard let chosen = newestFirst.first(where: { phases.contains($0.status?.phase ?? "") })
        else {
            throw CLIError(
                "no \(allowPartiallyFailed ? "Completed or PartiallyFailed" : "Completed") backup found for the "
                    + "schedule \(schedule)"
            )
        }
        return chosen.name
    }
}

/// The human form of a restore report.
enum RestoreReportText {
    /// Writes the report as `-o json` prints it, entry by entry: a report of a million entries is never one JSON
    /// value in memory. The keys come in a fixed order: the report's own, `totals` by action, each entry's sorted.
    static func writeJSON(_ report: RestoreReport, to write: (String) -> Void) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let counts = report.totals
        var totals = JSONObject()
        for action in RestoreReport.Action.allCases {
            totals[action.rawValue] = .int(Int64(counts[action.rawValue] ?? 0))
        }
        var head: JSONObject = [
            "restoreName": .string(report.restoreName), "backupName": .string(report.backupName),
            "dryRun": .bool(report.dryRun), "totals": .object(totals), "entries": [],
        ]
        if !report.podVolumes.isEmpty {
            head["podVolumes"] = try JSONValue(encoding: report.podVolumes, encoder: encoder)
        }
        let text = JSONValue.object(head).prettyJSONString
        let marker = "\n    \"entries\": []"
        guard !report.entries.isEmpty, let range = text.range(of: marker) else {
            write(text)
            return
        }
        write(String(text[..<range.lowerBound]) + "\n    \"entries\": [\n")
        for (number, entry) in report.entries.enumerated() {
            let lines = try JSONValue(encoding: entry, encoder: encoder).prettyJSONString.split(
                separator: "\n",
                omittingEmptySubsequences: false
            )
            let last = number == report.entries.count - 1
            write(lines.map { "        " + $0 }.joined(separator: "\n") + (last ? "\n" : ",\n"))
        }
        write("    ]" + String(text[range.upperBound...]))
    }

    /// The pod volume restores: a table in a dry run (what would be created) or with `verbose`, else a count line.
    static func podVolumes(_ report: RestoreReport, verbose: Bool) -> String {
        guard !report.podVolumes.isEmpty else { return "" }
        if verbose || report.dryRun {
            let rows = report.podVolumes.map { v in
                [
                    "\(v.podNamespace)/\(v.podName)", v.volume, v.uploaderType, v.snapshotID, v.sourceNamespace,
                    v.name ?? "\(report.restoreName)-…", v.phase, v.message ?? "",
                ]
            }
            let header = ["POD", "VOLUME", "UPLOADER", "SNAPSHOT", "SOURCE NAMESPACE", "PODVOLUMERESTORE", "PHASE", ""]
            return "Pod volume restores:\n" + Table.render(header: header, rows: rows) + "\n\n"
        }
        let completed = report.podVolumes.filter { $0.phase == "Completed" }.count
        let failed = report.podVolumes.count - completed
        return "Pod volumes: \(completed) restored, \(failed) failed\n"
    }

    static func render(_ report: RestoreReport, results: Results, verbose: Bool) -> String {
        var out = ""
        write(report, results: results, verbose: verbose) { out += $0 }
        return out
    }

    /// Writes the text piece by piece: a preview of a million objects is a million lines, so its table is measured
    /// in one pass over the entries and written in a second, one line at a time.
    static func write(_ report: RestoreReport, results: Results, verbose: Bool, to write: (String) -> Void) {
        if verbose {
            func cells(_ e: RestoreReport.Entry) -> [String] {
                [e.action.rawValue, e.kind ?? e.groupResource, e.displayName, e.reason ?? ""]
            }
            let header = ["ACTION", "KIND", "NAME", "DETAIL"]
            let widths = Table.widths(header: header, rows: report.entries.lazy.map(cells))
            write(Table.line(header, widths: widths) + "\n")
            for entry in report.entries { write(Table.line(cells(entry), widths: widths) + "\n") }
            for position in report.entries.indices
            where [.update, .conflict].contains(report.entries.action(at: position)) {
                let entry = report.entries[position]
                guard let changes = entry.changes, !changes.isEmpty else { continue }
                var out = "\n\(entry.action.rawValue) \(entry.kind ?? entry.groupResource) \(entry.displayName):\n"
                for change in changes {
                    out +=
                        "  \(change.path): \(change.from?.jsonString ?? "<absent>") → \(change.to?.jsonString ?? "<absent>")\n"
                }
                write(out)
            }
            write("\n")
        }
        var out = podVolumes(report, verbose: verbose)
        let totals = report.totals
        out +=
            "Totals: "
            + RestoreReport.Action.allCases.map { "\($0.rawValue) \(totals[$0.rawValue] ?? 0)" }.joined(separator: ", ")
            + "\n"
        if let steps = report.parallelism, steps.count > 1 {
            out += "Writers at once, adapted to the API server: \(steps.map(String.init).joined(separator: " → "))\n"
        }
        if !results.warnings.isEmpty {
            out += "Warnings:\n" + results.warnings.lines.map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        if !results.errors.isEmpty {
            out += "Errors:\n" + results.errors.lines.map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        write(out)
    }
}
