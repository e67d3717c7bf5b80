import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat backup describe NAME [--details]`.
struct BackupDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Describe a backup.")

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The backup's name.") var name: String
    @Flag(name: .long, help: "List the backed-up objects by type.") var details = false
    @Option(name: .long, help: "The backup storage location (default: search all).") var storageLocation: String?

    func run() async throws {
        let text: String = try await DirectMode.with(globals) { mode in
            let (location, store, backup) = try await mode.locate(backup: name, location: storageLocation)
            let results = await Self.results(of: name, in: store)
            var out = Self.describe(backup, location: location.metadata.name ?? "", results: results)
            if details {
                out += "\nResource List:\n"
                if let bytes = try await store.gunzipped(store.layout.backupResourceList(name)),
                    let list = try? JSONValue(parsing: bytes).objectValue
                {
                    for (kind, items) in list.sorted(by: { $0.key < $1.key }) {
                        out += "  \(kind):\n"
                        for item in items.arrayValue ?? [] { out += "    - \(item.stringValue ?? "")\n" }
                    }
                } else {
                    out += "  <not available>\n"
                }
            }
            out += "\nBackup Volumes:\n"
            do {
                let backups = try await Self.podVolumeBackups(of: name, store: store, mode: mode)
                out += PodVolumeDescription.backups(backups, details: details)
            } catch {
                out += "  <error getting pod volume backups: \(error)>\n"
            }
            return out
        }
        print(text, terminator: "")
    }

    /// The backup's PodVolumeBackups: those in the cluster (where Velero's describe reads them), else the ones the
    /// backup wrote to the location (`<backup>-podvolumebackups.json.gz`).
    static func podVolumeBackups(
        of name: String,
        store: BackupStore,
        mode: DirectMode
    ) async throws
        -> [PodVolumeBackup]
    {
        let inCluster = await BackupPodVolumes.inCluster(client: mode.client, namespace: mode.namespace, backup: name)
        if !inCluster.isEmpty { return inCluster.sorted { $0.name < $1.name } }
        return try await BackupPodVolumes.load(store: store, backup: name, client: nil, namespace: mode.namespace)
            .podVolumeBackups
    }

    /// The errors and warnings recorded for backup `name`, or why they cannot be read.
    static func results(of name: String, in store: BackupStore) async -> Swift.Result<Results, CLIError> {
        do {
            if let found = try await store.backupResults(of: name) { return .success(found) }
            return .failure(CLIError("\(store.layout.backupResults(name)) is missing or is not a results document"))
        } catch {
            return .failure(CLIError("\(error)"))
        }
    }

    /// The describe text of `backup`; `results` gives the text of the errors and warnings that the status counts
    /// (printed under each count: a count is never shown without its text).
    static func describe(
        _ backup: Backup,
        location: String,
        results: Swift.Result<Results, CLIError>
    ) -> String {
        let spec = backup.spec
        let status = backup.status
        func list(_ values: [String]?, empty: String = "<none>") -> String {
            guard let values, !values.isEmpty else { return empty }
            return values.joined(separator: ", ")
        }
        func map(_ values: [String: String]?) -> String {
            guard let values, !values.isEmpty else { return "<none>" }
            return values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                separator: "\n              "
            )
        }
        let clusterScoped: String =
            switch spec.includeClusterResources {
            case .some(true): "included"
            case .some(false): "excluded"
            case .none: "auto"
            }
        var out = """
            Name:         \(backup.name)
            Namespace:    \(backup.metadata.namespace ?? "velero")
            Labels:       \(map(backup.metadata.labels))
            Annotations:  \(map(backup.metadata.annotations))

            Phase:  \(status?.phase ?? "<unknown>")

            Namespaces:
              Included:  \(list(spec.includedNamespaces, empty: "*"))
              Excluded:  \(list(spec.excludedNamespaces))

            Resources:

            """
        if spec.includedClusterScopedResources != nil || spec.excludedClusterScopedResources != nil
            || spec.includedNamespaceScopedResources != nil || spec.excludedNamespaceScopedResources != nil
        {
            out += """
                  Included cluster-scoped:    \(list(spec.includedClusterScopedResources))
                  Excluded cluster-scoped:    \(list(spec.excludedClusterScopedResources))
                  Included namespace-scoped:  \(list(spec.includedNamespaceScopedResources, empty: "*"))
                  Excluded namespace-scoped:  \(list(spec.excludedNamespaceScopedResources))

                """
        } else {
            out += """
                  Included:        \(list(spec.includedResources, empty: "*"))
                  Excluded:        \(list(spec.excludedResources))
                  Cluster-scoped:  \(clusterScoped)

                """
        }
        out += """

            Label selector:  \(VeleroPrinting.selector(spec.labelSelector))

            Or label selector:  \(spec.orLabelSelectors.map { $0.map { VeleroPrinting.selector($0) }.joined(separator: " or ") } ?? "<none>")

            Storage Location:  \(spec.storageLocation ?? location)

            TTL:  \(spec.ttl ?? "<none>")

            Started:    \(status?.startTimestamp ?? "<n/a>")
            Completed:  \(status?.completionTimestamp ?? "<n/a>")

            Expiration:  \(status?.expiration ?? "<n/a>")

            Total items to be backed up:  \(status?.progress?.totalItems ?? 0)
            Items backed up:              \(status?.progress?.itemsBackedUp ?? 0)

            Errors:    \(status?.errors ?? 0)

            """
        out += Self.messages(count: status?.errors ?? 0, results.map(\.errors), kind: "errors")
        out += """
            Warnings:  \(status?.warnings ?? 0)

            """
        out += Self.messages(count: status?.warnings ?? 0, results.map(\.warnings), kind: "warnings")
        if let reason = status?.failureReason { out += "Failure reason:  \(reason)\n" }
        out += Self.hookStatusLines(status?.hookStatus)
        return out
    }

    /// Velero's hook status lines after a blank line, aligned as its tab writer aligns them (padding 2):
    /// `HooksAttempted:  N` / `HooksFailed:     M` for a backup; a restore's labels end with a space
    /// (`"HooksAttempted: "`). Empty when the status has no `hookStatus`.
    static func hookStatusLines(_ hookStatus: BackupStatus.HookStatus?, labelSuffix: String = "") -> String {
        guard let hookStatus else { return "" }
        let rows = [
            ("HooksAttempted:" + labelSuffix, hookStatus.hooksAttempted ?? 0),
            ("HooksFailed:" + labelSuffix, hookStatus.hooksFailed ?? 0),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return "\n"
            + rows.map { label, value in
                label + String(repeating: " ", count: width - label.count + 2) + "\(value)\n"
            }.joined()
    }

    /// The messages a count stands for, one indented line each (Velero's `Velero:`, `Cluster:`, `Namespaces:`
    /// lines); a line saying why they cannot be shown when the results cannot be read or hold fewer messages.
    static func messages(count: Int, _ result: Swift.Result<BackupEngine.Result, CLIError>, kind: String) -> String {
        guard count > 0 else { return "" }
        switch result {
        case .success(let messages) where !messages.lines.isEmpty:
            return messages.lines.map { "  " + $0 + "\n" }.joined()
        case .success:
            return "  <the \(kind)' text is not in the backup's results>\n"
        case .failure(let error):
            return "  <the \(kind)' text cannot be read: \(error)>\n"
        }
    }
}
