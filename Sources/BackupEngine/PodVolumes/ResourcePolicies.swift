package import Kubernetes

/// Velero's resource policies (`internal/resourcepolicies`): the YAML a Backup's `spec.resourcePolicy` names
/// through a ConfigMap, whose `volumePolicies` decide per volume between `fs-backup`, `snapshot`, `skip` and
/// `custom`. The first policy whose conditions all match wins; no match leaves the decision to the
/// annotations and `defaultVolumesToFsBackup`.
///
/// ```yaml
/// version: v1
/// volumePolicies:
/// - conditions: {capacity: "0,10Gi", storageClass: [gp2], pvcLabels: {tier: db}}
///   action: {type: fs-backup}
/// ```
///
/// Decoding is strict as Velero's (`yaml.v3` with known fields only): an unknown key, a value of the wrong
/// type, a version other than `v1`, an unknown action, a malformed capacity or a `*` in the include/exclude
/// lists is an error naming the ConfigMap, the field and the value.
package struct ResourcePolicies: Sendable, Hashable {
    /// What a matching volume policy does.
    package enum ActionType: String, Sendable, Hashable, CaseIterable {
        case skip
        case fsBackup = "fs-backup"
        case snapshot
        case custom
    }

    /// A policy's `action`.
    package struct Action: Sendable, Hashable {
        package var type: ActionType
        /// Free-form `parameters` (used by `custom` actions).
        package var parameters: JSONObject?
    }

    /// A policy's `conditions`; absent conditions match every volume.
    package struct Conditions: Sendable, Hashable {
        /// `capacity: "lower,upper"`; zero (or empty) bounds are open.
        package var capacityLower = Quantity.zero
        package var capacityUpper = Quantity.zero
        package var storageClass: [String] = []
        package var nfs: NFSCondition?
        package var csi: CSICondition?
        package var volumeTypes: [String] = []
        package var pvcLabels: [String: String] = [:]
        package var pvcPhase: [String] = []
    }

    /// `conditions.nfs`: `{}` matches any NFS volume; `server` and `path` narrow it.
    package struct NFSCondition: Sendable, Hashable {
        package var server = ""
        package var path = ""
    }

    /// `conditions.csi`: `{}` matches any CSI volume; `driver` and `volumeAttributes` narrow it.
    package struct CSICondition: Sendable, Hashable {
        package var driver = ""
        package var volumeAttributes: [String: String]?
    }

    /// One entry of `volumePolicies`.
    package struct VolumePolicy: Sendable, Hashable {
        package var conditions: Conditions
        package var action: Action
    }

    /// `includeExcludePolicy`: resource filters that replace the Backup's when present.
    package struct IncludeExcludePolicy: Sendable, Hashable {
        package var includedClusterScopedResources: [String] = []
        package var excludedClusterScopedResources: [String] = []
        package var includedNamespaceScopedResources: [String] = []
        package var excludedNamespaceScopedResources: [String] = []
    }

    /// The only `version` Velero 1.18 accepts.
    package static let supportedVersion = "v1"

    package var version: String
    package var volumePolicies: [VolumePolicy]
    package var includeExcludePolicy: IncludeExcludePolicy?

    /// The first volume policy whose conditions all match `volume`, as Velero's `GetMatchAction`.
    package func action(for volume: PolicyVolume) -> Action? {
        volumePolicies.first { $0.conditions.match(volume) }?.action
    }
}

extension ResourcePolicies.Conditions {
    /// Velero's condition semantics (`volume_resources.go`, `volume_types_conditions.go`).
    package func match(_ volume: PolicyVolume) -> Bool {
        guard capacityMatches(volume.capacity) else { return false }
        if !storageClass.isEmpty {
            guard !volume.storageClass.isEmpty, storageClass.contains(volume.storageClass) else { return false }
        }
        if let nfs {
            guard let actual = volume.nfs else { return false }
            if !nfs.path.isEmpty && nfs.path != actual.path { return false }
            if !nfs.server.isEmpty && nfs.server != actual.server { return false }
        }
        if let csi {
            guard let actual = volume.csi else { return false }
            if !csi.driver.isEmpty {
                guard csi.driver == actual.driver else { return false }
                if let attributes = csi.volumeAttributes, !attributes.isEmpty {
                    guard !actual.volumeAttributes.isEmpty,
                        attributes.allSatisfy({ actual.volumeAttributes[$0.key] == $0.value })
                    else { return false }
                }
            }
        }
        if !volumeTypes.isEmpty, !volumeTypes.contains(volume.volumeType) { return false }
        if !pvcLabels.isEmpty {
            guard let labels = volume.pvcLabels, pvcLabels.allSatisfy({ labels[$0.key] == $0.value }) else {
                return false
            }
        }
        if !pvcPhase.isEmpty {
            guard !volume.pvcPhase.isEmpty, pvcPhase.contains(volume.pvcPhase) else { return false }
        }
        return true
    }

    /// `capacity.isInRange`: an open lower bound matches up to `upper`, an open upper bound from `lower`.
    private func capacityMatches(_ size: Quantity) -> Bool {
        let lowerOpen = capacityLower == .zero
        let upperOpen = capacityUpper == .zero
        if lowerOpen && capacityUpper.compare(to: size) >= 0 { return true }
        if upperOpen && capacityLower.compare(to: size) <= 0 { return true }
        if !lowerOpen && !upperOpen {
            return capacityLower.compare(to: size) <= 0 && capacityUpper.compare(to: size) >= 0
        }
        return false
    }
}

/// What resource policies look at in a volume (Velero's `structuredVolume`): built from the PV when the
/// volume has one, else from the pod's volume entry, plus the claim's labels and phase.
package struct PolicyVolume: Sendable, Hashable {
    package struct NFS: Sendable, Hashable {
        package var server: String
        package var path: String
    }

    package struct CSI: Sendable, Hashable {
        package var driver: String
        package var volumeAttributes: [String: String]
    }

    package var capacity = Quantity.zero
    package var storageClass = ""
    package var nfs: NFS?
    package var csi: CSI?
    /// Velero's `SupportedVolume` name of the volume source (`csi`, `nfs`, `emptyDir`, `hostPath`, …).
    package var volumeType = ""
    /// `nil` when the claim has no labels.
    package var pvcLabels: [String: String]?
    package var pvcPhase = ""

    package init() {}

    /// The volume as Velero's `NewVolumeFilterData` + `GetMatchAction` see it: the PV when there is one, else
    /// the pod volume; the PVC's labels and phase either way.
    package init(persistentVolume: JSONValue?, podVolume: JSONValue?, claim: JSONValue?) {
        if let pv = persistentVolume, let spec = pv["spec"] {
            if let storage = spec["capacity"]?["storage"], let quantity = try? Quantity(json: storage) {
                capacity = quantity
            }
            storageClass = spec["storageClassName"]?.stringValue ?? ""
            read(source: spec, types: Self.persistentVolumeTypes)
        } else if let volume = podVolume {
            read(source: volume, types: Self.podVolumeTypes)
        }
        if let claim {
            let labels = Self.strings(claim["metadata"]?["labels"])
            if !labels.isEmpty { pvcLabels = labels }
            pvcPhase = claim["status"]?["phase"]?.stringValue ?? ""
        }
    }

    private mutating func read(source: JSONValue, types: [(field: String, type: String)]) {
        if let nfs = source["nfs"], nfs.objectValue != nil {
            self.nfs = NFS(server: nfs["server"]?.stringValue ?? "", path: nfs["path"]?.stringValue ?? "")
        }
        if let csi = source["csi"], csi.objectValue != nil {
            self.csi = CSI(
                driver: csi["driver"]?.stringValue ?? "",
                volumeAttributes: Self.strings(csi["volumeAttributes"])
            )
        }
        volumeType = types.first { source[$0.field].map { !$0.isNull } ?? false }?.type ?? ""
    }

    /// `getVolumeTypeFromPV`'s order: the PV spec's field and Velero's `SupportedVolume` name for it.
    static let persistentVolumeTypes: [(field: String, type: String)] = [
        "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flocker", "flexVolume",
        "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs", "photonPersistentDisk",
        "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume",
    ].map(typeName)

    /// `getVolumeTypeFromVolume`'s order (a claim's pod volume has no type of its own).
    static let podVolumeTypes: [(field: String, type: String)] = [
        "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flocker", "flexVolume",
        "gcePersistentDisk", "gitRepo", "glusterfs", "iscsi", "nfs", "secret", "rbd", "downwardAPI", "configMap",
        "projected", "ephemeral", "photonPersistentDisk", "portworxVolume", "quobyte", "scaleIO", "storageos",
        "vsphereVolume", "hostPath", "emptyDir",
    ].map(typeName)

    /// A JSON object's string values.
    private static func strings(_ value: JSONValue?) -> [String: String] {
        var result: [String: String] = [:]
        for (key, item) in value?.objectValue ?? [:] {
            if let text = item.stringValue { result[key] = text }
        }
        return result
    }

    private static func typeName(_ field: String) -> (field: String, type: String) {
        (field, field == "storageos" ? "storageOS" : field)
    }
}
