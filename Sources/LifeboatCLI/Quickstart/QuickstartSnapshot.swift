import BackupEngine
import Kubernetes
import VeleroAPI

/// The objects of a namespace with the fields a restore is expected to bring back: everything
/// except server-set metadata, status, and the fields Velero's restore deliberately resets.
struct Snapshot {
    var objects: [String: JSONValue]

    /// Fields that differ legitimately after a restore: those Velero's restore resets before it creates an
    /// object (`generateName` of a controller-made pod among them), and the server-set `managedFields`.
    static let ignoredMetadata = Set(RestoreMetadata.strippedMetadataFields + ["managedFields"])

    static func take(client: KubeClient, namespace: String) async throws -> Snapshot {
        var objects: [String: JSONValue] = [:]
        let discovery = try await client.discovery()
        for resource in discovery.preferredResources
        where resource.namespaced && !resource.name.contains("/")
            && resource.verbs.contains("list") && resource.name != "events"
        {
            for try await object in client.listObjects(resource.gvr, namespace: namespace) {
                objects["\(resource.kind)/\(object.name ?? "")"] = normalize(object, kind: resource.kind)
            }
        }
        return Snapshot(objects: objects)
    }

    static func normalize(_ object: KubeObject, kind: String) -> JSONValue {
        var value = object.value
        value["status"] = nil
        if case .object(var metadata)? = value["metadata"] {
            for key in ignoredMetadata { metadata[key] = nil }
            if case .object(var labels)? = metadata["labels"] {
                labels[VeleroLabels.backupName] = nil
                labels[VeleroLabels.restoreName] = nil
                metadata["labels"] = labels.isEmpty ? nil : .object(labels)
            }
            if case .object(var annotations)? = metadata["annotations"] {
                for key in annotations.keys where key.hasPrefix("pv.kubernetes.io/") || key.hasPrefix("volume.") {
                    annotations[key] = nil
                }
                metadata["annotations"] = annotations.isEmpty ? nil : .object(annotations)
            }
            value["metadata"] = .object(metadata)
        }
        // Reset by Velero's restore item actions or re-assigned by the cluster.
        switch kind {
        case "Pod":
            value[path: ["spec", "nodeName"]] = nil
            // The restore puts Velero's `restore-wait` init container first in a pod whose volumes it restores.
            let initContainers = (value[path: ["spec", "initContainers"]]?.arrayValue ?? []).filter {
                $0["name"]?.stringValue != RestoreWaitContainer.name
            }
            value[path: ["spec", "initContainers"]] = initContainers.isEmpty ? nil : .array(initContainers)
        case "Service":
            value[path: ["spec", "clusterIP"]] = nil
            value[path: ["spec", "clusterIPs"]] = nil
        case "PersistentVolumeClaim": value[path: ["spec", "volumeName"]] = nil
        default: break
        }
        return value
    }

    static func compare(before: Snapshot, after: Snapshot) -> [String] {
        var differences: [String] = []
        for (key, value) in before.objects.sorted(by: { $0.key < $1.key }) {
            guard let restored = after.objects[key] else {
                differences.append("\(key) is missing")
                continue
            }
            if restored != value {
                let changes = RestoreReport.changes(from: value, to: restored).map(\.path).joined(separator: ", ")
                differences.append("\(key) differs at \(changes)")
            }
        }
        return differences
    }
}

/// The objects of a namespace, by kind and name (for showing and for comparing).
struct Inventory {
    struct Entry: Hashable {
        var kind: String
        var name: String
    }

    static func take(client: KubeClient, namespace: String) async throws -> [Entry] {
        var entries: [Entry] = []
        let discovery = try await client.discovery()
        for resource in discovery.preferredResources
        where resource.namespaced && !resource.name.contains("/")
            && resource.verbs.contains("list") && resource.name != "events"
        {
            for try await object in client.listObjects(resource.gvr, namespace: namespace) {
                entries.append(Entry(kind: resource.kind, name: object.name ?? ""))
            }
        }
        return entries.sorted { ($0.kind, $0.name) < ($1.kind, $1.name) }
    }
}
