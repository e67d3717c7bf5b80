import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat backup get [NAME…]`: backups as the storage locations hold them.
struct BackupGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "List backups (read from the storage locations)."
    )

    @OptionGroup var globals: GlobalOptions
    @Argument(help: "Backup names (default: all).") var names: [String] = []
    @Option(name: .shortAndLong, help: "Output format: table, json or yaml.") var output: OutputFormat = .table
    @Option(name: .long, help: "Only this backup storage location.") var storageLocation: String?
    @OptionGroup var listing: ListingFlags

    func run() async throws {
        let backups: [Backup] = try await DirectMode.with(globals) { mode in
            var found: [Backup] = []
            let locations: [BackupStorageLocation]
            if let storageLocation {
                locations = [try await mode.locations.get(storageLocation)]
            } else {
                locations = try await mode.locations.list()
            }
            // One broken location does not hide the others: each is read on its own, and one that cannot be
            // read is a warning line naming it; the command fails only when no location could be read.
            var unreadable: [String] = []
            for location in locations {
                let locationName = location.metadata.name ?? ""
                do {
                    let store = try await mode.locations.store(for: location)
                    let available = try await store.backupNames()
                    let wanted = names.isEmpty ? available : names.filter(available.contains)
                    for name in wanted {
                        if var backup = try await store.backup(named: name) {
                            if backup.spec.storageLocation == nil { backup.spec.storageLocation = locationName }
                            found.append(backup)
                        }
                    }
                } catch {
                    let warning = Self.locationWarning(locationName, error)
                    FileHandle.standardError.write(Data("Warning: \(warning)\n".utf8))
                    unreadable.append(locationName)
                }
            }
            if !locations.isEmpty, unreadable.count == locations.count {
                throw CLIError(
                    "no backup storage location could be read (\(unreadable.joined(separator: ", "))); "
                        + "no backups listed"
                )
            }
            // Runs recorded in the cluster that left no backup in a location (failed before writing, interrupted,
            // or still running) are listed too, with their phase.
            for backup in await Self.recordedOnly(mode, excluding: Swift.Set(found.map(\.name))) {
                guard names.isEmpty || names.contains(backup.name) else { continue }
                guard storageLocation == nil || backup.spec.storageLocation == storageLocation else { continue }
                found.append(backup)
            }
            for name in names where !found.contains(where: { $0.name == name }) {
                throw CLIError(
                    "backup \(name.debugDescription) not found in the backup storage locations of namespace "
                        + mode.namespace
                )
            }
            return found
        }
        let shown = try backups.filter { try listing.matches($0.metadata.labels) }
            .sorted { VeleroPrinting.backupOrder($0.name, $1.name) }
        switch output {
        case .json, .yaml:
            print(try Render.items(shown, kind: "BackupList", format: output))
        case .table:
            let header = listing.header([
                "NAME", "STATUS", "ERRORS", "WARNINGS", "CREATED", "EXPIRES", "STORAGE LOCATION", "QUEUE POSITION",
                "SELECTOR",
            ])
            let rows = shown.map { b in
                listing.row(
                    [
                        b.name, Self.status(b), "\(b.status?.errors ?? 0)", "\(b.status?.warnings ?? 0)",
                        VeleroPrinting.time(b.status?.startTimestamp), VeleroPrinting.fromNow(Self.expiration(b)),
                        b.spec.storageLocation ?? "", b.status?.queuePosition.map { $0 == 0 ? "" : "\($0)" } ?? "",
                        VeleroPrinting.selector(b.spec.labelSelector),
                    ],
                    labels: b.metadata.labels
                )
            }
            print(Table.render(header: header, rows: rows))
        }
    }

    /// The STATUS cell: the phase (`New` when none yet), `Deleting` once deletion started.
    static func status(_ backup: Backup) -> String {
        if backup.metadata.deletionTimestamp != nil { return "Deleting" }
        let phase = backup.status?.phase ?? ""
        return phase.isEmpty ? "New" : phase
    }

    /// When the backup expires: `status.expiration`, else its creation plus its TTL.
    static func expiration(_ backup: Backup) -> Date? {
        if let expiration = backup.status?.expiration.flatMap(Timestamps.parse) { return expiration }
        guard let created = backup.metadata.creationTimestamp.flatMap(Timestamps.parse),
            let ttl = backup.spec.ttl.flatMap(GoDuration.parse), ttl > .zero
        else { return nil }
        return created.addingTimeInterval(Double(ttl.components.seconds))
    }

    /// The Backup CRs of the install namespace whose names are not in `excluding` (none when the CRDs are missing).
    static func recordedOnly(_ mode: DirectMode, excluding: Swift.Set<String>) async -> [Backup] {
        guard let list = try? await mode.client.list(Backup.resource, namespace: mode.namespace) else { return [] }
        return list.items.compactMap { object in
            guard let name = object.name, !excluding.contains(name) else { return nil }
            return try? JSONDecoder().decode(Backup.self, from: Data(object.encoded()))
        }
    }

    /// One line naming the location that cannot be read and why (the first line of the error).
    static func locationWarning(_ location: String, _ error: any Error) -> String {
        let text = "\(error)".split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        let prefix = "backup storage location \(location)"
        let line = text.contains(prefix) ? text : "\(prefix): \(text)"
        return line + "; its backups are not listed"
    }
}
