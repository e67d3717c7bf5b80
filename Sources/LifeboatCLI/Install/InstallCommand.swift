import ArgumentParser
import BackupEngine
import Foundation
import Kubernetes
import VeleroAPI

/// `lifeboat install`: Velero's `velero install` — the CRDs, the install namespace, the ServiceAccount and its
/// binding, the credentials Secret, the default BackupStorageLocation, the `velero` Deployment running
/// `lifeboat server` and, with `--use-node-agent`, the `node-agent` DaemonSet (``InstallManifests``).
struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install Lifeboat (Velero's resources, a server Deployment and node agents) into a cluster.",
        discussion: """
            As `velero install`: objects that exist already are left as they are ("already exists, proceeding") \
            unless --apply is given (server-side apply, field manager velero-cli). With -o the manifests are \
            printed; with --dry-run nothing is applied. The image's entrypoint is /lifeboat (the Dockerfile's); in \
            `lifeboat sandbox serve` the image ghcr.io/lifeboat/lifeboat runs the sandbox's own lifeboat binary.
            """
    )

    @OptionGroup var globals: GlobalOptions
    @Option(name: .long, help: "The object store provider: aws (any S3-compatible store) or filesystem.")
    var provider: String?
    @Option(name: .long, help: "The bucket of the default location (filesystem: a folder every node sees).")
    var bucket: String?
    @Option(name: .long, help: "A prefix inside the bucket.") var prefix: String?
    @Option(name: .long, help: "The default location's config: region=…,s3Url=…,s3ForcePathStyle=true,…")
    var backupLocationConfig: [String] = []
    @Option(name: .long, help: "A file with the object store credentials (AWS: a shared credentials file).")
    var secretFile: String?
    @Flag(name: .long, help: "Create no credentials Secret (credentials come from elsewhere, e.g. IAM roles).")
    var noSecret = false
    @Flag(name: .long, help: "Create no default backup storage location.") var noDefaultBackupLocation = false
    @Option(name: .long, help: "A PEM file with the CA of the object store's TLS certificate.") var cacert: String?
    @Option(name: .long, help: "The image of the server and node agents.") var image: String?
    @Flag(name: .long, help: "Create the node-agent DaemonSet (file-system backup and data movement).")
    var useNodeAgent = false
    @Flag(name: .long, help: "Run the node agents privileged.") var privilegedNodeAgent = false
    @Option(name: .long, help: "The node-agent ConfigMap the node agents read.") var nodeAgentConfigmap: String?
    @Option(name: .long, help: "The backup-repository ConfigMap.") var backupRepositoryConfigmap: String?
    @Option(name: .long, help: "The uploader of file-system backups: restic (Lifeboat writes restic repositories).")
    var uploaderType = "restic"
    @Option(name: .long, help: "Back up every pod volume with file-system backup by default (true|false).")
    var defaultVolumesToFsBackup: Bool?
    @Option(name: .long, help: "Take volume snapshots with snapshotter plugins (Lifeboat has none: false).")
    var useVolumeSnapshots: Bool?
    @Option(name: .long, help: "Pod annotations (k=v,…).") var podAnnotations: [String] = []
    @Option(name: .long, help: "Pod labels (k=v,…).") var podLabels: [String] = []
    @Option(name: .long, help: "ServiceAccount annotations (k=v,…).") var saAnnotations: [String] = []
    @Option(name: .long, help: "An existing ServiceAccount to run as (then none is created, nor bound).")
    var serviceAccountName: String?
    @Option(name: .long, help: "CPU request of the server pod.") var veleroPodCpuRequest = "500m"
    @Option(name: .long, help: "Memory request of the server pod.") var veleroPodMemRequest = "128Mi"
    @Option(name: .long, help: "CPU limit of the server pod.") var veleroPodCpuLimit = "1000m"
    @Option(name: .long, help: "Memory limit of the server pod.") var veleroPodMemLimit = "512Mi"
    @Option(name: .long, help: "CPU request of the node-agent pods (0: none).") var nodeAgentPodCpuRequest = "0"
    @Option(name: .long, help: "Memory request of the node-agent pods (0: none).") var nodeAgentPodMemRequest = "0"
    @Option(name: .long, help: "CPU limit of the node-agent pods (0: none).") var nodeAgentPodCpuLimit = "0"
    @Option(name: .long, help: "Memory limit of the node-agent pods (0: none).") var nodeAgentPodMemLimit = "0"
    @Option(name: .long, help: "The kubelet's root folder on the nodes.") var kubeletRootDir = "/var/lib/kubelet"
    @Flag(name: .long, help: "Mount no host paths into the node agents.") var nodeAgentDisableHostPath = false
    @Option(name: .long, help: "How often repositories are maintained (Go duration).")
    var defaultRepoMaintainFrequency: String?
    @Option(name: .long, help: "How often expired backups are collected (Go duration).")
    var garbageCollectionFrequency: String?
    @Option(name: .long, help: "How long backups wait for pod volume backups (Go duration).")
    var podVolumeOperationTimeout: String?
    @Flag(name: .long, help: "New schedules skip their first tick.") var scheduleSkipImmediately = false
    @Option(name: .long, help: "Backups the server runs at once.") var concurrentBackups: Int?
    @Option(name: .long, help: "The server pod's priority class.") var serverPriorityClassName: String?
    @Option(name: .long, help: "The node-agent pods' priority class.") var nodeAgentPriorityClassName: String?
    @Flag(
        name: .long,
        help: "Bind the ServiceAccount to least-privilege roles instead of cluster-admin (backups; see docs/cli.md)."
    )
    var leastPrivilege = false
    @Option(
        name: .long,
        help: "Where the server serves /metrics (Lifeboat's; default Velero's :8085, every interface)."
    )
    var metricsAddress: String?
    @Flag(name: .long, help: "Install only the velero.io CRDs.") var crdsOnly = false
    @Flag(name: .long, help: "Apply nothing (with -o: print the manifests).") var dryRun = false
    @Option(name: .shortAndLong, help: "Print the manifests as json or yaml.") var output: OutputFormat?
    @Flag(name: .long, help: "Update existing objects with server-side apply (field manager velero-cli).")
    var apply = false
    @Flag(name: .long, help: "Wait until the server Deployment (and the node-agent DaemonSet) is ready.")
    var wait = false

    func validate() throws {
        if output == .table { throw ValidationError("--output table is not supported here: use json or yaml") }
        if crdsOnly { return }
        if let bucket, bucket.hasPrefix("-") {
            throw ValidationError("Bucket names cannot begin with a dash. Bucket name was: \(bucket)")
        }
        if noDefaultBackupLocation {
            if bucket != nil {
                throw ValidationError("Cannot use both --bucket and --no-default-backup-location at the same time")
            }
            if prefix != nil {
                throw ValidationError("Cannot use both --prefix and --no-default-backup-location at the same time")
            }
            if !backupLocationConfig.isEmpty {
                throw ValidationError(
                    "Cannot use both --backup-location-config and --no-default-backup-location at the same time"
                )
            }
        } else {
            guard let provider, !provider.isEmpty else { throw ValidationError("--provider is required") }
            guard ["aws", "velero.io/aws", "gcp", "velero.io/gcp", "filesystem"].contains(provider) else {
                throw ValidationError(
                    "--provider \(provider.debugDescription) is not supported: use aws (any S3-compatible store), gcp or filesystem"
                )
            }
            guard bucket?.isEmpty == false else { throw ValidationError("--bucket is required") }
            if provider == "filesystem", bucket?.hasPrefix("/") != true {
                throw ValidationError("--bucket \(bucket ?? "") must be an absolute folder for the filesystem provider")
            }
        }
        if useVolumeSnapshots == true {
            throw ValidationError(
                "--use-volume-snapshots: Lifeboat has no volume snapshotter plugins; use CSI snapshots or file-system backup"
            )
        }
        if defaultVolumesToFsBackup == true && !useNodeAgent {
            throw ValidationError("--use-node-agent is required when using --default-volumes-to-fs-backup")
        }
        if secretFile == nil && !noSecret { throw ValidationError("One of --secret-file or --no-secret is required") }
        if secretFile != nil && noSecret { throw ValidationError("Cannot use both --secret-file and --no-secret") }
        try ServerCommand.checkUploaderType(uploaderType)
        for (flag, value) in [
            ("--default-repo-maintain-frequency", defaultRepoMaintainFrequency),
            ("--garbage-collection-frequency", garbageCollectionFrequency),
            ("--pod-volume-operation-timeout", podVolumeOperationTimeout),
        ] {
            guard let value else { continue }
            guard let duration = GoDuration.parse(value) else {
                throw ValidationError("\(flag) \(value.debugDescription) is not a duration (e.g. 30s, 1h)")
            }
            if duration < .zero { throw ValidationError("\(flag) must be non-negative") }
        }
        if let concurrentBackups, concurrentBackups < 0 {
            throw ValidationError("--concurrent-backups \(concurrentBackups) must not be negative")
        }
        if let serviceAccountName, !KubeNames.isDNSSubdomain(serviceAccountName) {
            throw ValidationError("--service-account-name \(serviceAccountName.debugDescription) is not a valid name")
        }
        if let metricsAddress { _ = try MetricsServer.Address.checked(metricsAddress) }
        if leastPrivilege && serviceAccountName != nil {
            throw ValidationError(
                "Cannot use both --least-privilege and --service-account-name (bind your own account)"
            )
        }
    }

    /// The manifests' options from the flags; reads the secret and CA files (errors name the file).
    func manifestOptions() throws -> InstallManifests.Options {
        var options = InstallManifests.Options()
        options.namespace = globals.installNamespace
        if let image { options.image = image }
        options.provider = provider
        options.bucket = bucket
        options.prefix = prefix
        options.locationConfig = try KeyValueList.parse(backupLocationConfig, flag: "--backup-location-config") ?? [:]
        options.caCert = try cacert.map { try Self.read($0, flag: "--cacert") }
        options.secretData = try secretFile.map { try Self.read($0, flag: "--secret-file") }
        options.noDefaultBackupLocation = noDefaultBackupLocation
        options.useNodeAgent = useNodeAgent
        options.privilegedNodeAgent = privilegedNodeAgent
        options.nodeAgentConfigMap = nodeAgentConfigmap
        options.backupRepositoryConfigMap = backupRepositoryConfigmap
        options.defaultVolumesToFsBackup = defaultVolumesToFsBackup ?? false
        options.uploaderType = uploaderType
        options.features = (globals.features ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty }
        options.podAnnotations = try KeyValueList.parse(podAnnotations, flag: "--pod-annotations") ?? [:]
        options.podLabels = try KeyValueList.parse(podLabels, flag: "--pod-labels") ?? [:]
        options.serviceAccountAnnotations = try KeyValueList.parse(saAnnotations, flag: "--sa-annotations") ?? [:]
        options.serviceAccountName = serviceAccountName
        options.serverResources = .init(
            cpuRequest: veleroPodCpuRequest,
            memoryRequest: veleroPodMemRequest,
            cpuLimit: veleroPodCpuLimit,
            memoryLimit: veleroPodMemLimit
        )
        options.nodeAgentResources = .init(
            cpuRequest: nodeAgentPodCpuRequest,
            memoryRequest: nodeAgentPodMemRequest,
            cpuLimit: nodeAgentPodCpuLimit,
            memoryLimit: nodeAgentPodMemLimit
        )
        options.kubeletRootDir = kubeletRootDir
        options.nodeAgentDisableHostPath = nodeAgentDisableHostPath
        options.defaultRepoMaintainFrequency = defaultRepoMaintainFrequency
        options.garbageCollectionFrequency = garbageCollectionFrequency
        options.podVolumeOperationTimeout = podVolumeOperationTimeout
        options.scheduleSkipImmediately = scheduleSkipImmediately
        options.concurrentBackups = concurrentBackups
        options.serverPriorityClassName = serverPriorityClassName
        options.nodeAgentPriorityClassName = nodeAgentPriorityClassName
        options.leastPrivilege = leastPrivilege
        options.metricsAddress = metricsAddress
        return options
    }

    static func read(_ path: String, flag: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError("\(flag) \(path): cannot read the file: \((error as NSError).localizedDescription)")
        }
    }

    func run() async throws {
        let options = try manifestOptions()
        let manifests = InstallManifests(options: options)
        let objects = crdsOnly ? InstallManifests.crds : manifests.all
        if let format = output ?? (dryRun ? .yaml : nil) {
            let list: JSONValue = ["apiVersion": "v1", "kind": "List", "items": .array(objects)]
            print(format == .json ? list.prettyJSONString : list.yamlString())
        }
        if dryRun { return }
        let namespace = options.namespace
        let errorHint =
            "\n\nError installing Lifeboat. Use `kubectl logs deploy/velero -n \(namespace)` to check the deploy logs"
        try await globals.withClient { client in
            let installer = Installer(client: client, apply: apply)
            do {
                let crds = objects.filter { $0["kind"]?.stringValue == "CustomResourceDefinition" }
                for crd in crds { try await installer.createOrApply(crd) }
                print("Waiting for resources to be ready in cluster...")
                for crd in crds {
                    try await Self.waitEstablished(client, name: crd["metadata"]?["name"]?.stringValue ?? "")
                }
                for object in objects where object["kind"]?.stringValue != "CustomResourceDefinition" {
                    try await installer.createOrApply(object)
                }
                if wait && !crdsOnly {
                    print("Waiting for Lifeboat deployment to be ready.")
                    try await installer.waitForDeployment(namespace: namespace)
                    if useNodeAgent {
                        print("Waiting for node-agent daemonset to be ready.")
                        try await installer.waitForDaemonSet(namespace: namespace, name: "node-agent")
                    }
                }
            } catch let error as CLIError {
                throw CLIError(error.description + errorHint)
            } catch {
                throw CLIError("\(error)" + errorHint)
            }
        }
        if crdsOnly {
            print("Lifeboat (Velero) CRDs are installed.")
            return
        }
        if secretFile == nil { print("\nNo secret file was specified, no Secret created.\n") }
        if noDefaultBackupLocation {
            print("\nNo bucket and provider were specified, no default backup storage location created.\n")
        }
        print("Lifeboat is installed! ⛵ Use 'kubectl logs deployment/velero -n \(namespace)' to view the status.")
    }

    static func waitEstablished(_ client: KubeClient, name: String) async throws {
        for _ in 0..<120 {
            let live = try await client.get(.customResourceDefinitions, name: name)
            let established = (live["status"]?["conditions"]?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True"
            }
            if established { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw CLIError("timeout reached, CRDs not ready: CustomResourceDefinition \(name) is not Established after 60s")
    }
}
