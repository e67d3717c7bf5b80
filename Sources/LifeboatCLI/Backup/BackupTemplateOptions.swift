import ArgumentParser
import Kubernetes
import VeleroAPI

/// The flags that describe a backup, shared by `backup create` and `schedule create` (Velero's
/// `backup.CreateOptions.BindFlags`, which `schedule create` binds too): filters, labels, TTL, location, volumes,
/// timeouts, ordering.
struct BackupTemplateOptions: ParsableArguments {
    @OptionGroup var filters: BackupFilterOptions
    @Option(name: .long, help: "Labels to apply (k=v,k2=v2).") var labels: [String] = []
    @Option(name: .long, help: "Annotations to apply (k=v,k2=v2).") var annotations: [String] = []
    @Option(name: .long, help: "How long to keep the backup (Go duration, e.g. 720h0m0s).") var ttl: String?
    @Option(name: .long, help: "The backup storage location (default: the default location).") var storageLocation:
        String?
    @Option(name: .long, help: "Take volume snapshots (true|false; recorded).") var snapshotVolumes: Bool?
    @Option(
        name: .long,
        help: "Back up all pod volumes with file-system backup unless opted out (true|false; default: opt-in)."
    )
    var defaultVolumesToFsBackup: Bool?
    @Option(name: .long, help: "A ConfigMap of the install namespace holding resource policies (volumePolicies).")
    var resourcePoliciesConfigmap: String?
    @Option(name: .long, help: "Order for specific resources: 'pods=ns1/pod1,ns1/pod2;persistentvolumeclaims=…'.")
    var orderedResources: String?
    @Option(name: .long, help: "Move snapshot data to the storage location (true|false; bare means true).")
    var snapshotMoveData: Bool?
    @Option(name: .long, help: "The data mover for --snapshot-move-data (default: velero's built-in).")
    var dataMover: String?
    @Option(name: .long, help: "How long to wait for CSI snapshots to be ready (Go duration; default 10m).")
    var csiSnapshotTimeout: String?
    @Option(name: .long, help: "How long to wait for asynchronous item operations (Go duration; default 4h).")
    var itemOperationTimeout: String?
    @Option(name: .long, help: "Files uploaded in parallel per volume (0: the node's CPUs).")
    var parallelFilesUpload: Int?

    func validate() throws {
        if let ttl, GoDuration.parse(ttl) == nil {
            throw ValidationError("--ttl \(ttl.debugDescription) is not a duration (e.g. 720h0m0s)")
        }
        for (flag, value) in [
            ("--csi-snapshot-timeout", csiSnapshotTimeout), ("--item-operation-timeout", itemOperationTimeout),
        ] {
            if let value, GoDuration.parse(value) == nil {
                throw ValidationError("\(flag) \(value.debugDescription) is not a duration (e.g. 10m)")
            }
        }
        if let parallelFilesUpload, parallelFilesUpload < 0 {
            throw ValidationError("--parallel-files-upload cannot be negative")
        }
        _ = try Self.orderedResources(orderedResources)
    }

    /// The spec the flags describe.
    func apply(to spec: inout BackupSpec) throws {
        try filters.apply(to: &spec)
        spec.ttl = ttl
        spec.storageLocation = storageLocation
        spec.snapshotVolumes = snapshotVolumes
        spec.defaultVolumesToFsBackup = defaultVolumesToFsBackup
        spec.snapshotMoveData = snapshotMoveData
        spec.datamover = dataMover
        spec.csiSnapshotTimeout = csiSnapshotTimeout.flatMap(GoDuration.parse).map(GoDuration.format)
        spec.itemOperationTimeout = itemOperationTimeout.flatMap(GoDuration.parse).map(GoDuration.format)
        if let parallelFilesUpload {
            spec.uploaderConfig = BackupSpec.UploaderConfig(parallelFilesUpload: parallelFilesUpload)
        }
        if let resourcePoliciesConfigmap, !resourcePoliciesConfigmap.isEmpty {
            spec.resourcePolicy = TypedLocalObjectReference(kind: "configmap", name: resourcePoliciesConfigmap)
        }
        if let ordered = try Self.orderedResources(orderedResources) { spec.orderedResources = ordered }
    }

    /// `--ordered-resources` as Velero parses it: `resource=ns/name,…` parts separated by `;`.
    static func orderedResources(_ text: String?) throws -> [String: String]? {
        guard let text else { return nil }
        var map: [String: String] = [:]
        for part in text.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else {
                throw ValidationError("--ordered-resources: \(String(part).debugDescription) is not resource=ns/name,…")
            }
            map[String(kv[0])] = String(kv[1])
        }
        return map
    }
}
