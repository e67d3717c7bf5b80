import BackupEngine
import Foundation
import Kubernetes
import Logging
import ObjectStorage
import VeleroAPI

/// What a direct-mode command needs: a client for the cluster and its storage locations.
struct DirectMode {
    let client: KubeClient
    let namespace: String
    let locations: StorageLocations
    let logger: Logger

    /// Runs `body` with a client and the install namespace's storage locations.
    /// - Parameters:
    ///   - onRetry: told about each retry of an object-store request (for the progress line).
    static func with<R: Sendable>(
        _ globals: GlobalOptions,
        onRetry: (@Sendable (RetryNotice) -> Void)? = nil,
        client configuration: KubeClient.Configuration? = nil,
        _ body: (DirectMode) async throws -> R
    ) async throws -> R {
        let logger = globals.logger
        return try await globals.withClient(configuration: configuration) { client in
            var factory = ObjectStoreFactory(environment: ProcessInfo.processInfo.environment)
            factory.retryObserver = onRetry
            let locations = StorageLocations(
                client: client,
                namespace: globals.installNamespace,
                factory: factory,
                logger: logger
            )
            return try await body(
                DirectMode(client: client, namespace: globals.installNamespace, locations: locations, logger: logger)
            )
        }
    }

    /// Finds the location holding a backup: the named one, else the first location that has it.
    func locate(
        backup name: String,
        location: String? = nil
    ) async throws -> (BackupStorageLocation, BackupStore, Backup) {
        let candidates: [BackupStorageLocation]
        if let location {
            candidates = [try await locations.get(location)]
        } else {
            candidates = try await locations.list()
        }
        for candidate in candidates {
            let store = try await locations.store(for: candidate)
            if let backup = try await store.backup(named: name) { return (candidate, store, backup) }
        }
        throw CLIError(
            "backup \(name.debugDescription) not found in \(location.map { "backup storage location \($0)" } ?? "any backup storage location of namespace \(namespace)")"
        )
    }
}

/// Shows object-store retries on stderr: on a terminal over the progress line, else as `progress:` lines.
enum RetryLine {
    static func printer(isTTY: Bool) -> @Sendable (RetryNotice) -> Void {
        { notice in
            let text = notice.summary
            FileHandle.standardError.write(Data((isTTY ? "\r\u{1B}[K\(text)" : "progress: \(text)\n").utf8))
        }
    }
}

/// Prints rows as an aligned table (like kubectl / velero).
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let widths = widths(header: header, rows: rows)
        return ([line(header, widths: widths)] + rows.map { line($0, widths: widths) }).joined(separator: "\n")
    }

    /// The width of each column: its widest cell.
    static func widths(header: [String], rows: some Sequence<[String]>) -> [Int] {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        return widths
    }

    /// One line of the table, its cells padded to `widths` (the last one not).
    static func line(_ cells: [String], widths: [Int]) -> String {
        cells.enumerated().map { i, cell in
            i == cells.count - 1 || i >= widths.count
                ? cell : cell.padding(toLength: widths[i] + 3, withPad: " ", startingAt: 0)
        }.joined()
    }
}

/// Renders Codable values as JSON or YAML for `-o json|yaml`.
enum Render {
    static func json(_ value: some Encodable) throws -> String {
        try JSONValue(encoding: value).prettyJSONString
    }

    static func yaml(_ value: some Encodable) throws -> String {
        try JSONValue(encoding: value).yamlString()
    }

    /// Items for -o json/yaml as Velero prints them: one item on its own, else a list of `kind` (`BackupList`,
    /// `RestoreList`, …) in `apiVersion`.
    static func items(
        _ items: [some Encodable],
        kind: String,
        apiVersion: String = "velero.io/v1",
        format: OutputFormat
    ) throws -> String {
        if items.count == 1, let item = items.first { return format == .yaml ? try yaml(item) : try json(item) }
        let values = try items.map { try JSONValue(encoding: $0) }
        let list: JSONValue = [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "metadata": [:], "items": .array(values),
        ]
        return format == .yaml ? list.yamlString() : list.prettyJSONString
    }

    /// A LABELS cell as kubectl's `--show-labels` prints it: `k=v` pairs sorted by key, `<none>` without labels.
    static func labels(_ labels: [String: String]?) -> String {
        let pairs = (labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return pairs.isEmpty ? "<none>" : pairs.joined(separator: ",")
    }
}
