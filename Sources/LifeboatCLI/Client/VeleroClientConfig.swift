import Foundation
import Kubernetes

/// Velero's client configuration file, `$HOME/.config/velero/config.json`: a JSON object of string values
/// (`namespace`, `features`, `colorized`, `cacert`), shared with the `velero` CLI.
struct VeleroClientConfig: Equatable {
    /// The keys Velero's client reads.
    static let knownKeys = ["namespace", "features", "cacert", "colorized"]

    var values: [String: String]

    /// The file: `$HOME/.config/velero/config.json`.
    static var path: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/velero/config.json"
    }

    /// The client config's install namespace, if set.
    var namespace: String? { values["namespace"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Reads the file; a missing file is an empty configuration.
    ///
    /// - Throws: ``CLIError`` naming the file when it cannot be read or is not a JSON object.
    static func load(path: String = VeleroClientConfig.path) throws -> VeleroClientConfig {
        guard FileManager.default.fileExists(atPath: path) else { return VeleroClientConfig(values: [:]) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError("client config \(path): cannot read it: \(error.localizedDescription)")
        }
        guard let object = (try? JSONValue(parsing: Array(data)))?.objectValue else {
            throw CLIError("client config \(path): not a JSON object")
        }
        var values: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case .string(let text): values[key] = text
            case .null: continue
            default: values[key] = value.jsonString
            }
        }
        return VeleroClientConfig(values: values)
    }

    /// Writes the file (folder 0700, file 0600 as Velero does) through a temporary name and a rename.
    func save(path: String = VeleroClientConfig.path) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: folder,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            let object = JSONValue.object(
                JSONObject(
                    uniqueKeysWithValues: values.sorted { $0.key < $1.key }
                        .map { ($0.key, JSONValue.string($0.value)) }
                )
            )
            let staging = folder.appendingPathComponent(".config.json.\(UUID().uuidString.prefix(8))")
            try Data((object.jsonString + "\n").utf8).write(to: staging)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: staging.path)
            guard rename(staging.path, path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: staging)
                throw CLIError("client config \(path): cannot write it: \(reason)")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("client config \(path): cannot write it: \(error.localizedDescription)")
        }
    }
}
