import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import ObjectStorage
import VeleroAPI

/// `lifeboat restore get [NAME…]`: the Restore CRs recorded in the cluster.
struct RestoreGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "List restores.")

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "Restore names (default: all).") var names: [String] = []
    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.") var output: OutputFormat = .table
    @OptionGroup var listing: ListingFlags

    static let resource = Restore.resource

    func run() async throws {
        let restores: [Restore] = try await DirectMode.with(globals) { mode in
            do {
                let list = try await mode.client.list(Self.resource, namespace: mode.namespace)
                return try list.items.map { try $0.value.decode(as: Restore.self) }
                    .filter { names.isEmpty || names.contains($0.name) }.sorted { $0.name < $1.name }
                    .filter { try listing.matches($0.metadata.labels) }
            } catch let error as KubeError where error.code == .notFound {
                throw CLIError(
                    "the velero.io CRDs are not installed in the cluster (run `lifeboat install --crds-only`)"
                )
            }
        }
        switch output {
        case .json, .yaml: print(try Render.items(restores, kind: "RestoreList", format: output))
        case .table:
            let rows = restores.map { r in
                listing.row(
                    [
                        r.name, r.spec.backupName ?? "", (r.status?.phase).flatMap { $0.isEmpty ? nil : $0 } ?? "New",
                        VeleroPrinting.time(r.status?.startTimestamp),
                        VeleroPrinting.time(r.status?.completionTimestamp), "\(r.status?.errors ?? 0)",
                        "\(r.status?.warnings ?? 0)", VeleroPrinting.time(r.metadata.creationTimestamp ?? ""),
                        VeleroPrinting.selector(r.spec.labelSelector),
                    ],
                    labels: r.metadata.labels
                )
            }
            print(
                Table.render(
                    header: listing.header([
                        "NAME", "BACKUP", "STATUS", "STARTED", "COMPLETED", "ERRORS", "WARNINGS", "CREATED", "SELECTOR",
                    ]),
                    rows: rows
                )
            )
        }
    }
}

/// `lifeboat restore describe NAME [--details]`.
struct RestoreDescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Describe a restore.")

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The restore's name.") var name: String
    @Flag(name: .long, help: "List the restored objects and what happened to each.") var details = false

    func run() async throws {
        let text: String = try await DirectMode.with(globals) { mode in
            let restore: Restore
            do {
                restore = try await mode.client.get(RestoreGetCommand.resource, namespace: mode.namespace, name: name)
                    .value.decode(as: Restore.self)
            } catch let error as KubeError where error.code == .notFound {
                throw CLIError("restore \(name.debugDescription) not found in namespace \(mode.namespace)")
            }
            let podVolumes = try await Self.podVolumeSection(restore: name, mode: mode, details: details)
            var out = """
                Name:         \(restore.name)
                Namespace:    \(restore.metadata.namespace ?? mode.namespace)

                Phase:                       \(restore.status?.phase ?? "<unknown>")
                Total items to be restored:  \(restore.status?.progress?.totalItems ?? 0)
                Items restored:              \(restore.status?.progress?.itemsRestored ?? 0)

                Started:    \(restore.status?.startTimestamp ?? "<n/a>")
                Completed:  \(restore.status?.completionTimestamp ?? "<n/a>")

                Backup:  \(restore.spec.backupName ?? "")

                Namespaces:
                  Included:  \((restore.spec.includedNamespaces ?? []).isEmpty ? "all namespaces found in the backup" : (restore.spec.includedNamespaces ?? []).joined(separator: ", "))
                  Excluded:  \((restore.spec.excludedNamespaces ?? []).isEmpty ? "<none>" : (restore.spec.excludedNamespaces ?? []).joined(separator: ", "))

                Resources:
                  Included:        \((restore.spec.includedResources ?? []).isEmpty ? "*" : (restore.spec.includedResources ?? []).joined(separator: ", "))
                  Excluded:        \((restore.spec.excludedResources ?? []).isEmpty ? "<none>" : (restore.spec.excludedResources ?? []).joined(separator: ", "))
                  Cluster-scoped:  \(restore.spec.includeClusterResources.map { $0 ? "included" : "excluded" } ?? "auto")

                Namespace mappings:  \((restore.spec.namespaceMapping ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ").ifEmpty("<none>"))

                Existing Resource Policy:  \(restore.spec.existingResourcePolicy ?? "<none>")
                Restore PVs:  \(restore.spec.restorePVs.map { $0 ? "true" : "false" } ?? "auto")

                \(podVolumes)Errors:    \(restore.status?.errors ?? 0)
                Warnings:  \(restore.status?.warnings ?? 0)

                """
            // Hooks (issue 21): Velero's `HooksAttempted: ` / `HooksFailed: ` lines when the status has them.
            out += BackupDescribeCommand.hookStatusLines(restore.status?.hookStatus, labelSuffix: " ")
            if let (store, _) = try await RestoreLogsCommand.store(mode, restore: name, backup: restore.spec.backupName)
            {
                if let bytes = try await store.gunzipped(store.layout.restoreResults(name)),
                    let results = try? JSONDecoder().decode(Results.self, from: Data(bytes))
                {
                    if !results.warnings.isEmpty {
                        out += "\nWarnings:\n" + results.warnings.lines.map { "  " + $0 }.joined(separator: "\n") + "\n"
                    }
                    if !results.errors.isEmpty {
                        out += "\nErrors:\n" + results.errors.lines.map { "  " + $0 }.joined(separator: "\n") + "\n"
                    }
                }
                if details, let bytes = try await store.gunzipped(store.layout.restoreResourceList(name)),
                    let list = try? JSONValue(parsing: bytes).objectValue
                {
                    out += "\nResource List:\n"
                    for (kind, items) in list.sorted(by: { $0.key < $1.key }) {
                        out +=
                            "  \(kind):\n" + (items.arrayValue ?? []).map { "    - \($0.stringValue ?? "")\n" }.joined()
                    }
                }
            }
            return out
        }
        print(text, terminator: "")
    }
}

extension RestoreDescribeCommand {
    /// Velero's pod volume restores section (with a trailing blank line), or nothing when the restore has none.
    static func podVolumeSection(restore: String, mode: DirectMode, details: Bool) async throws -> String {
        let selector = try LabelSelector(
            parsing: "\(VeleroLabels.restoreName)=\(RestoreMetadata.validLabelValue(restore))"
        )
        guard
            let list = try? await mode.client.list(
                PodVolumeRestore.resource,
                namespace: mode.namespace,
                options: ListOptions(labelSelector: selector)
            )
        else { return "" }
        let restores = list.items.compactMap { try? $0.value.decode(as: PodVolumeRestore.self) }
            .sorted { $0.name < $1.name }
        let section = PodVolumeDescription.restores(restores, details: details)
        return section.isEmpty ? "" : section + "\n"
    }
}

/// `lifeboat restore logs NAME`.
struct RestoreLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a restore's log.")

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "The restore's name.") var name: String

    func run() async throws {
        let text: String = try await DirectMode.with(globals) { mode in
            guard let (store, _) = try await Self.store(mode, restore: name, backup: nil),
                let bytes = try await store.gunzipped(store.layout.restoreLog(name))
            else { throw CLIError("restore \(name.debugDescription) has no log in any backup storage location") }
            return String(decoding: bytes, as: UTF8.self)
        }
        print(text, terminator: "")
    }

    /// The store holding a restore's records (searching every location).
    static func store(
        _ mode: DirectMode,
        restore: String,
        backup: String?
    ) async throws -> (BackupStore, BackupStorageLocation)? {
        for location in try await mode.locations.list() {
            let store = try await mode.locations.store(for: location)
            if try await store.store.exists(store.layout.restoreLog(restore)) { return (store, location) }
        }
        return nil
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
