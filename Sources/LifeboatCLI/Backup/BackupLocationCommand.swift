import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import Logging
import VeleroAPI

/// `lifeboat backup-location create|get|set|delete`: BackupStorageLocation CRs in the install namespace.
struct BackupLocationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-location",
        abstract: "Work with backup storage locations.",
        subcommands: [Create.self, Get.self, Set.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a backup storage location."
        )
        @OptionGroup var globals: GlobalOptions
        @Argument(help: "The location's name.") var name: String
        @Option(name: .long, help: "aws (any S3-compatible store) or filesystem.") var provider: String
        @Option(name: .long, help: "The bucket (filesystem: an absolute folder).") var bucket: String
        @Option(name: .long, help: "A prefix inside the bucket.") var prefix: String?
        @Option(name: .long, help: "Provider config: region=…,s3Url=…,s3ForcePathStyle=true,…") var config: [String] =
            []
        @Option(name: .long, help: "The credential Secret key: secret=key.") var credential: String?
        @Flag(name: .long, help: "Make this the default location.") var `default` = false
        @Option(name: .long, help: "ReadWrite (default) or ReadOnly.") var accessMode: String = "ReadWrite"
        @Option(name: .long, help: "Labels (k=v,…).") var labels: [String] = []

        func validate() throws {
            guard KubeNames.isDNSSubdomain(name) else {
                throw ValidationError("location name \(name.debugDescription) is invalid")
            }
            guard ["aws", "velero.io/aws", "filesystem"].contains(provider) else {
                throw ValidationError(
                    "--provider \(provider.debugDescription) is not supported: use aws (any S3-compatible store) or filesystem"
                )
            }
        }

        func run() async throws {
            var spec = BackupStorageLocation.Spec(
                provider: provider,
                objectStorage: .init(bucket: bucket, prefix: prefix)
            )
            spec.config = try KeyValueList.parse(config, flag: "--config")
            spec.accessMode = accessMode
            spec.default = `default` ? true : nil
            if let credential {
                let parts = credential.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw ValidationError("--credential \(credential.debugDescription) must be secret=key")
                }
                spec.credential = SecretKeySelector(name: parts[0], key: parts[1])
            }
            let problems = StorageLocations.validationErrors(spec)
            guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
            var metadata = ObjectMeta(name: name, namespace: globals.installNamespace)
            metadata.labels = try KeyValueList.parse(labels, flag: "--labels")
            let location = BackupStorageLocation(metadata: metadata, spec: spec)
            let status: BackupStorageLocation.Status? = try await DirectMode.with(globals) { mode in
                if `default` { try await BackupLocationCommand.clearDefault(mode, except: name) }
                guard let object = KubeObject(try JSONValue(encoding: location)) else { return nil }
                do {
                    var created = try await mode.client.create(
                        StorageLocations.resource,
                        namespace: mode.namespace,
                        object
                    )
                    // Validated now, as Velero's server does soon after: Available, or Unavailable with the reason
                    // (the location is kept either way, so that fixing the folder or the credentials is enough).
                    let status = await mode.locations.validationStatus(of: location)
                    created.status = try JSONValue(encoding: status)
                    do {
                        _ = try await mode.client.writeStatus(
                            StorageLocations.resource,
                            namespace: mode.namespace,
                            created
                        )
                    } catch {
                        mode.logger.info("could not record the status of backup storage location \(name): \(error)")
                    }
                    return status
                } catch let error as KubeError where error.code == .alreadyExists {
                    throw CLIError("backup storage location \(name) already exists in namespace \(mode.namespace)")
                } catch let error as KubeError where error.code == .notFound {
                    if try await mode.client.getIfPresent(.namespaces, name: mode.namespace) == nil {
                        throw CLIError(
                            "namespace \(mode.namespace) does not exist (run `lifeboat install`, or "
                                + "`kubectl create namespace \(mode.namespace)` with the CRDs installed)"
                        )
                    }
                    throw CLIError(
                        "the velero.io CRDs are not installed (run `lifeboat install --crds-only`): \(error)"
                    )
                }
            }
            print("Backup storage location \"\(name)\" configured successfully.")
            if let status, status.phase == "Unavailable" {
                FileHandle.standardError.write(
                    Data("Warning: phase Unavailable: \(status.message ?? "")\n".utf8)
                )
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "List backup storage locations.")
        @OptionGroup var globals: GlobalOptions
        @Argument(help: "Names (default: all).") var names: [String] = []
        @Option(name: .shortAndLong, help: "Output format: table, json or yaml.") var output: OutputFormat = .table

        func run() async throws {
            let locations = try await DirectMode.with(globals) { mode in
                try await mode.locations.list().filter { names.isEmpty || names.contains($0.metadata.name ?? "") }
            }
            switch output {
            case .json, .yaml: print(try Render.items(locations, kind: "BackupStorageLocationList", format: output))
            case .table:
                let rows = locations.map { l in
                    [
                        l.metadata.name ?? "", l.spec.provider,
                        l.spec.objectStorage.bucket
                            + ((l.spec.objectStorage.prefix ?? "").isEmpty
                                ? "" : "/" + (l.spec.objectStorage.prefix ?? "")),
                        (l.status?.phase).flatMap { $0.isEmpty ? nil : $0 } ?? "Unknown",
                        l.status?.lastValidationTime.map { VeleroPrinting.time($0) } ?? "Unknown",
                        (l.spec.accessMode).flatMap { $0.isEmpty ? nil : $0 } ?? "ReadWrite",
                        l.spec.default == true ? "true" : "",
                    ]
                }
                print(
                    Table.render(
                        header: [
                            "NAME", "PROVIDER", "BUCKET/PREFIX", "PHASE", "LAST VALIDATED", "ACCESS MODE", "DEFAULT",
                        ],
                        rows: rows
                    )
                )
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a backup storage location."
        )
        @OptionGroup var globals: GlobalOptions
        @Argument(help: "The location's name.") var name: String
        @Flag(name: .long, help: "Make this the default location.") var `default` = false
        @Option(name: .long, help: "The credential Secret key: secret=key.") var credential: String?

        func run() async throws {
            try await DirectMode.with(globals) { mode in
                var location = try await mode.locations.get(name)
                if `default` {
                    try await BackupLocationCommand.clearDefault(mode, except: name)
                    location.spec.default = true
                }
                if let credential {
                    let parts = credential.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw ValidationError("--credential must be secret=key") }
                    location.spec.credential = SecretKeySelector(name: parts[0], key: parts[1])
                }
                try await BackupLocationCommand.update(mode, location)
            }
            print("Backup storage location \"\(name)\" configured successfully.")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Delete a backup storage location (its backups stay in the store)."
        )
        @OptionGroup var globals: GlobalOptions
        @Argument(help: "The location's name.") var name: String
        @Flag(name: .long, help: "Delete without asking.") var confirm = false

        func run() async throws {
            if !confirm, !Confirmation.ask() { return }
            try await DirectMode.with(globals) { mode in
                do {
                    _ = try await mode.client.delete(StorageLocations.resource, namespace: mode.namespace, name: name)
                } catch let error as KubeError where error.code == .notFound {
                    throw CLIError(
                        "backup storage location \(name.debugDescription) not found in namespace \(mode.namespace)"
                    )
                }
            }
            print("Backup storage location \"\(name)\" deleted.")
        }
    }

    /// Unsets `default` on every other location (only one default, like Velero).
    static func clearDefault(_ mode: DirectMode, except name: String) async throws {
        for var other in try await mode.locations.list() where other.spec.default == true && other.metadata.name != name
        {
            other.spec.default = false
            try await update(mode, other)
        }
    }

    static func update(_ mode: DirectMode, _ location: BackupStorageLocation) async throws {
        guard var desired = KubeObject(try JSONValue(encoding: location)) else { return }
        let live = try await mode.client.get(
            StorageLocations.resource,
            namespace: mode.namespace,
            name: location.metadata.name ?? ""
        )
        desired.resourceVersion = live.resourceVersion
        desired.status = live.status
        _ = try await mode.client.update(StorageLocations.resource, namespace: mode.namespace, desired)
    }
}
