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
        @Option(name: .long, help: "How often to sync backups from the location (Go duration; 0 turns it off).")
        var backupSyncPeriod: String?
        @Option(name: .long, help: "How often to validate the location (Go duration; 0 turns it off).")
        var validationFrequency: String?
        @Option(name: .long, help: "A file with the CA bundle that verifies the store's certificate.")
        var cacert: String?
        @Option(
            name: .shortAndLong,
            help: "json or yaml: print the location instead of creating it (table: create it)."
        )
        var output: OutputFormat = .table

        func validate() throws {
            guard KubeNames.isDNSSubdomain(name) else {
                throw ValidationError("location name \(name.debugDescription) is invalid")
            }
            guard ["aws", "velero.io/aws", "gcp", "velero.io/gcp", "filesystem"].contains(provider) else {
                throw ValidationError(
                    "--provider \(provider.debugDescription) is not supported: use aws (any S3-compatible store), gcp or filesystem"
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
            spec.backupSyncPeriod = try BackupLocationCommand.duration(backupSyncPeriod, flag: "--backup-sync-period")
            spec.validationFrequency = try BackupLocationCommand.duration(
                validationFrequency,
                flag: "--validation-frequency"
            )
            if let cacert { spec.objectStorage.caCert = try BackupLocationCommand.caBundle(cacert) }
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
            guard output == .table else {
                // Velero's create commands with -o display the object but do not send it to the server.
                print(try Render.items([location], kind: "BackupStorageLocationList", format: output))
                return
            }
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
        @Flag(name: .long, help: "Only the default location.") var `default` = false
        @Option(name: .shortAndLong, help: "Output format: table, json or yaml.") var output: OutputFormat = .table
        @OptionGroup var listing: ListingFlags

        func run() async throws {
            let locations = try await DirectMode.with(globals) { mode in
                try await mode.locations.list().filter { location in
                    (names.isEmpty || names.contains(location.metadata.name ?? ""))
                        && (!`default` || location.spec.default == true)
                }.filter { try listing.matches($0.metadata.labels) }
            }
            switch output {
            case .json, .yaml: print(try Render.items(locations, kind: "BackupStorageLocationList", format: output))
            case .table:
                let rows = locations.map { l in
                    listing.row(
                        [
                            l.metadata.name ?? "", l.spec.provider,
                            l.spec.objectStorage.bucket
                                + ((l.spec.objectStorage.prefix ?? "").isEmpty
                                    ? "" : "/" + (l.spec.objectStorage.prefix ?? "")),
                            (l.status?.phase).flatMap { $0.isEmpty ? nil : $0 } ?? "Unknown",
                            l.status?.lastValidationTime.map { VeleroPrinting.time($0) } ?? "Unknown",
                            (l.spec.accessMode).flatMap { $0.isEmpty ? nil : $0 } ?? "ReadWrite",
                            l.spec.default == true ? "true" : "",
                        ],
                        labels: l.metadata.labels
                    )
                }
                print(
                    Table.render(
                        header: listing.header([
                            "NAME", "PROVIDER", "BUCKET/PREFIX", "PHASE", "LAST VALIDATED", "ACCESS MODE", "DEFAULT",
                        ]),
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
        @Option(name: .long, help: "A file with the CA bundle that verifies the store's certificate.")
        var cacert: String?

        func run() async throws {
            let bundle = try cacert.map(BackupLocationCommand.caBundle)
            try await DirectMode.with(globals) { mode in
                var location = try await mode.locations.get(name)
                if let bundle { location.spec.objectStorage.caCert = bundle }
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
            abstract: "Delete backup storage locations (their backups stay in the store)."
        )
        @OptionGroup var globals: GlobalOptions
        @OptionGroup var select: SelectOptions
        @Flag(name: .long, help: "Delete without asking.") var confirm = false

        func validate() throws { try select.validate(kind: "backup-location") }

        func run() async throws {
            if !confirm, !Confirmation.ask() { return }
            try await DirectMode.with(globals) { mode in
                let names = try await select.names(
                    of: StorageLocations.resource,
                    client: mode.client,
                    namespace: mode.namespace
                )
                if names.isEmpty {
                    print("No backup-locations found")
                    return
                }
                var failures: [String] = []
                for name in names {
                    do {
                        _ = try await mode.client.delete(
                            StorageLocations.resource,
                            namespace: mode.namespace,
                            name: name
                        )
                        print("Backup storage location \"\(name)\" deleted.")
                    } catch let error as KubeError where error.code == .notFound {
                        failures.append(
                            "backup storage location \(name.debugDescription) not found in namespace \(mode.namespace)"
                        )
                    }
                }
                if !failures.isEmpty { throw CLIError(failures.joined(separator: "; ")) }
            }
        }
    }

    /// A flag's Go duration as Velero stores it (`metav1.Duration`: `1m0s`); nil when not given.
    static func duration(_ text: String?, flag: String) throws -> String? {
        guard let text else { return nil }
        guard let duration = GoDuration.parse(text), duration >= .zero else {
            throw ValidationError("\(flag) \(text.debugDescription) is not a duration (e.g. 1m, 1h30m)")
        }
        return GoDuration.format(duration)
    }

    /// The CA bundle in `path`, base64 as `objectStorage.caCert` holds it (Velero reads the file the same way).
    static func caBundle(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--cacert \(path.debugDescription): cannot read the file")
        }
        guard String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            throw ValidationError("--cacert \(path.debugDescription): no PEM certificate in the file")
        }
        return data.base64EncodedString()
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
