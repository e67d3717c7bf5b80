import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat schedule …`: Schedule resources (Velero's `velero schedule`). A running `lifeboat server` (or Velero's
/// own) creates their Backups on the cron expression.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Work with schedules (a server creates their backups).",
        subcommands: [
            ScheduleCreateCommand.self, ScheduleGetCommand.self, ScheduleDescribeCommand.self,
            ScheduleDeleteCommand.self, SchedulePauseCommand.self, ScheduleUnpauseCommand.self,
        ]
    )

    /// Reads one Schedule of the install namespace.
    static func get(_ client: KubeClient, namespace: String, name: String) async throws -> Schedule {
        do {
            return try await client.get(Schedule.resource, namespace: namespace, name: name).value
                .decode(as: Schedule.self)
        } catch let error as KubeError where error.code == .notFound {
            throw CLIError("schedule \(name.debugDescription) not found in namespace \(namespace)")
        }
    }
}

/// `lifeboat schedule create NAME --schedule CRON`: the backup flags of `backup create` make the template.
struct ScheduleCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a schedule.")

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The schedule's name.") var name: String
    @Option(name: .long, help: "A cron expression (5 fields, or @every 1h, @daily …).") var schedule: String
    @OptionGroup var template: BackupTemplateOptions
    @Option(name: .long, help: "Make the schedule the owner of its backups (true|false).")
    var useOwnerReferencesInBackup: Bool?
    @Flag(name: .long, help: "Create the schedule paused.") var paused = false
    @Option(name: .long, help: "Skip the first tick after creation or unpausing (true|false).")
    var skipImmediately: Bool?
    @Option(name: .shortAndLong, help: "json or yaml: print the Schedule instead of creating it (table: create it).")
    var output: OutputFormat = .table

    func validate() throws {
        guard KubeNames.isDNSSubdomain(name) else {
            throw ValidationError(
                "schedule name \(name.debugDescription) is invalid: use lowercase letters, digits, '-' and '.'"
            )
        }
        do {
            _ = try CronSchedule(parsing: schedule)
        } catch {
            throw ValidationError("--schedule \(schedule.debugDescription) is invalid: \(error.message)")
        }
    }

    func run() async throws {
        var backup = BackupSpec()
        try template.apply(to: &backup)
        var metadata = ObjectMeta(name: name)
        metadata.labels = try KeyValueList.parse(template.labels, flag: "--labels")
        metadata.annotations = try KeyValueList.parse(template.annotations, flag: "--annotations")
        var spec = Schedule.Spec(template: backup, schedule: schedule)
        spec.useOwnerReferencesInBackup = useOwnerReferencesInBackup
        spec.paused = paused ? true : nil
        spec.skipImmediately = skipImmediately
        guard output == .table else {
            // Velero's create commands with -o display the object but do not send it to the server.
            metadata.namespace = globals.installNamespace
            print(try Render.items([Schedule(metadata: metadata, spec: spec)], kind: "ScheduleList", format: output))
            return
        }
        try await globals.withClient { client in
            let namespace = globals.installNamespace
            metadata.namespace = namespace
            guard let object = KubeObject(try JSONValue(encoding: Schedule(metadata: metadata, spec: spec))) else {
                return
            }
            do {
                _ = try await client.create(Schedule.resource, namespace: namespace, object)
            } catch let error as KubeError where error.code == .alreadyExists {
                throw CLIError("schedule \(name.debugDescription) already exists in namespace \(namespace)")
            } catch let error as KubeError where error.code == .notFound {
                throw CLIError(
                    "cannot create schedule \(name): the velero.io CRDs or namespace \(namespace) are missing "
                        + "(run `lifeboat install`): \(error.message)"
                )
            }
        }
        print("Schedule \"\(name)\" created successfully.")
    }
}

/// `lifeboat schedule get [NAME…]`.
struct ScheduleGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "List schedules.")

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "Schedule names (default: all).") var names: [String] = []
    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.") var output: OutputFormat = .table
    @OptionGroup var listing: ListingFlags

    func run() async throws {
        let schedules: [Schedule] = try await globals.withClient { client in
            let namespace = globals.installNamespace
            if !names.isEmpty {
                var found: [Schedule] = []
                for name in names {
                    found.append(try await ScheduleCommand.get(client, namespace: namespace, name: name))
                }
                return found
            }
            return try await client.list(Schedule.resource, namespace: namespace).items
                .map { try $0.value.decode(as: Schedule.self) }
                .filter { try listing.matches($0.metadata.labels) }
                .sorted { $0.name < $1.name }
        }
        switch output {
        case .json, .yaml:
            print(try Render.items(schedules, kind: "ScheduleList", format: output))
        case .table:
            let rows = schedules.map { s in
                listing.row(
                    [
                        s.name, (s.status?.phase).flatMap { $0.isEmpty ? nil : $0 } ?? "New",
                        VeleroPrinting.time(s.metadata.creationTimestamp ?? ""), s.spec.schedule,
                        Self.goDuration(s.spec.template.ttl),
                        VeleroPrinting.fromNow(s.status?.lastBackup.flatMap(Timestamps.parse)),
                        VeleroPrinting.selector(s.spec.template.labelSelector), "\(s.spec.paused ?? false)",
                    ],
                    labels: s.metadata.labels
                )
            }
            print(
                Table.render(
                    header: listing.header([
                        "NAME", "STATUS", "CREATED", "SCHEDULE", "BACKUP TTL", "LAST BACKUP", "SELECTOR", "PAUSED",
                    ]),
                    rows: rows
                )
            )
        }
    }

    /// A TTL as Go prints a `time.Duration` (`720h0m0s`; `0s` when unset).
    static func goDuration(_ ttl: String?) -> String {
        guard let ttl, let duration = GoDuration.parse(ttl) else { return "0s" }
        return GoDuration.format(duration)
    }
}

/// `lifeboat schedule describe NAME`.
struct ScheduleDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Describe a schedule.")

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The schedule's name.") var name: String

    func run() async throws {
        let schedule = try await globals.withClient { client in
            try await ScheduleCommand.get(client, namespace: globals.installNamespace, name: name)
        }
        print(Self.describe(schedule))
    }

    static func describe(_ s: Schedule) -> String {
        var lines = [
            "Name:         \(s.name)", "Namespace:    \(s.metadata.namespace ?? "")",
            "Labels:       \(Self.pairs(s.metadata.labels))", "Annotations:  \(Self.pairs(s.metadata.annotations))", "",
            "Phase:  \(s.status?.phase ?? "New")", "",
            "Paused:  \(s.spec.paused ?? false)", "",
        ]
        if let errors = s.status?.validationErrors, !errors.isEmpty {
            lines.append("Validation errors:")
            lines += errors.map { "  \($0)" }
            lines.append("")
        }
        let t = s.spec.template
        lines += [
            "Schedule:  \(s.spec.schedule)", "", "Backup Template:", "  Namespaces:",
            "    Included:  \(t.includedNamespaces?.joined(separator: ", ") ?? "*")",
            "    Excluded:  \(t.excludedNamespaces?.joined(separator: ", ") ?? "<none>")", "", "  Resources:",
            "    Included:  \(t.includedResources?.joined(separator: ", ") ?? "*")",
            "    Excluded:  \(t.excludedResources?.joined(separator: ", ") ?? "<none>")", "",
            "  Storage Location:  \(t.storageLocation ?? "")", "", "  TTL:  \(t.ttl ?? "0s")", "",
            "Last Backup:  \(s.status?.lastBackup ?? "<never>")",
        ]
        return lines.joined(separator: "\n")
    }

    static func pairs(_ map: [String: String]?) -> String {
        guard let map, !map.isEmpty else { return "<none>" }
        return map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n              ")
    }
}

/// `lifeboat schedule delete NAME…|--all|-l SELECTOR [--confirm]`: deletes the Schedules (their backups stay).
struct ScheduleDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete schedules.")

    @OptionGroup var globals: GlobalOptions
    @OptionGroup var select: SelectOptions
    @Flag(name: .long, help: "Delete without asking.") var confirm = false

    func validate() throws { try select.validate(kind: "schedule") }

    func run() async throws {
        if !confirm, !Confirmation.ask() { return }
        try await globals.withClient { client in
            let namespace = globals.installNamespace
            let names = try await select.names(of: Schedule.resource, client: client, namespace: namespace)
            if names.isEmpty {
                print("No schedules found")
                return
            }
            var failures: [String] = []
            for name in names {
                do {
                    _ = try await client.delete(Schedule.resource, namespace: namespace, name: name)
                    print("Schedule deleted: \(name)")
                } catch let error as KubeError where error.code == .notFound {
                    failures.append("schedule \(name.debugDescription) not found in namespace \(namespace)")
                }
            }
            if !failures.isEmpty { throw CLIError(failures.joined(separator: "; ")) }
        }
    }
}

/// Sets `spec.paused` (and `spec.skipImmediately`) of the selected schedules, as Velero's `schedule pause` and
/// `unpause` do: a schedule already in that state is skipped; names that are not found are reported at the end.
enum SchedulePausing {
    static func set(
        _ paused: Bool,
        select: SelectOptions,
        skipImmediately: Bool?,
        globals: GlobalOptions
    ) async throws {
        let word = paused ? "paused" : "unpaused"
        try await globals.withClient { client in
            let namespace = globals.installNamespace
            var failures: [String] = []
            var schedules: [Schedule] = []
            if select.names.isEmpty {
                let selector = try select.selector
                schedules = try await client.list(Schedule.resource, namespace: namespace).items
                    .filter { selector?.matches($0.labels) ?? true }
                    .map { try $0.value.decode(as: Schedule.self) }
                    .sorted { $0.name < $1.name }
            } else {
                for name in select.names {
                    do {
                        schedules.append(try await ScheduleCommand.get(client, namespace: namespace, name: name))
                    } catch let error as CLIError {
                        failures.append(error.description)
                    }
                }
            }
            if schedules.isEmpty && failures.isEmpty {
                print("No schedules found")
                return
            }
            for schedule in schedules {
                if (schedule.spec.paused ?? false) == paused {
                    print("Schedule \(schedule.name) is already \(word), skip")
                    continue
                }
                let patch: JSONValue = [
                    "spec": ["paused": .bool(paused), "skipImmediately": skipImmediately.map(JSONValue.bool) ?? .null]
                ]
                _ = try await client.patch(Schedule.resource, namespace: namespace, name: schedule.name, .merge(patch))
                print("Schedule \(schedule.name) \(word) successfully")
            }
            if !failures.isEmpty { throw CLIError(failures.joined(separator: "; ")) }
        }
    }
}

/// `lifeboat schedule pause NAME…|--all|-l SELECTOR [--skip-immediately]`.
struct SchedulePauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause schedules.")
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var select: SelectOptions
    @Option(name: .long, help: "Skip the next scheduled backup immediately (true|false; bare means true).")
    var skipImmediately: Bool?
    func validate() throws { try select.validate(kind: "schedule") }
    func run() async throws {
        try await SchedulePausing.set(true, select: select, skipImmediately: skipImmediately, globals: globals)
    }
}

/// `lifeboat schedule unpause NAME…|--all|-l SELECTOR [--skip-immediately]`.
struct ScheduleUnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause schedules.")
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var select: SelectOptions
    @Option(name: .long, help: "Skip the next scheduled backup immediately (true|false; bare means true).")
    var skipImmediately: Bool?
    func validate() throws { try select.validate(kind: "schedule") }
    func run() async throws {
        try await SchedulePausing.set(false, select: select, skipImmediately: skipImmediately, globals: globals)
    }
}
