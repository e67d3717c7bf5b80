import Foundation
import Kubernetes

/// The `meta.k8s.io/v1` Table form of objects (what `kubectl get` asks for), with kubectl's usual
/// columns for common kinds and a CRD's additionalPrinterColumns for custom resources.
struct TableFormat: Sendable {
    struct Column {
        var name: String
        var type: String = "string"
        var format: String = ""
        var priority: Int = 0
        var cell: @Sendable (JSONValue) -> JSONValue
    }

    let type: ResourceType
    let now: Date

    var columns: [Column] {
        let name = Column(name: "Name", format: "name") { .string($0["metadata"]?["name"]?.stringValue ?? "") }
        let age = Column(name: "Age") { [now] in
            .string(Self.age($0["metadata"]?["creationTimestamp"]?.stringValue, now: now))
        }
        func text(_ title: String, _ path: [String], priority: Int = 0, fallback: String = "<none>") -> Column {
            Column(name: title, priority: priority) { object in
                let value = object[path: path]
                switch value {
                case .string(let s)?: return .string(s.isEmpty ? fallback : s)
                case .int(let i)?: return .string(String(i))
                case .bool(let b)?: return .string(String(b))
                case nil, .null?: return .string(fallback)
                case let other?: return .string(other.jsonString)
                }
            }
        }
        func count(_ title: String, _ keys: [String]) -> Column {
            Column(name: title, type: "integer") { object in
                .int(Int64(keys.reduce(0) { $0 + (object[$1]?.objectValue?.count ?? 0) }))
            }
        }
        func replicas(_ title: String) -> Column {
            Column(name: title) { object in
                let ready = object["status"]?["readyReplicas"]?.intValue ?? 0
                let desired = object["spec"]?["replicas"]?.intValue ?? 0
                return .string("\(ready)/\(desired)")
            }
        }
        if type.custom {
            let custom = type.printerColumns.map { column in
                Column(name: column.name, type: column.type, priority: column.priority) { object in
                    let path = column.jsonPath.split(separator: ".").map(String.init)
                    return object[path: path] ?? .null
                }
            }
            return [name] + custom + [age]
        }
        switch (type.group, type.plural) {
        case ("", "pods"):
            return [
                name,
                Column(name: "Ready") { .string(PodSummary($0).ready) },
                Column(name: "Status") { .string(PodSummary($0).status) },
                Column(name: "Restarts", type: "string") { .string(PodSummary($0).restarts) },
                age,
                text("IP", ["status", "podIP"], priority: 1),
                text("Node", ["spec", "nodeName"], priority: 1),
            ]
        case ("", "configmaps"): return [name, count("Data", ["data", "binaryData"]), age]
        case ("", "secrets"): return [name, text("Type", ["type"]), count("Data", ["data"]), age]
        case ("", "namespaces"): return [name, text("Status", ["status", "phase"]), age]
        case ("", "services"):
            return [
                name, text("Type", ["spec", "type"]), text("Cluster-IP", ["spec", "clusterIP"]),
                Column(name: "External-IP") { _ in "<none>" },
                Column(name: "Port(s)") { object in
                    let ports = (object["spec"]?["ports"]?.arrayValue ?? []).map {
                        "\($0["port"]?.intValue ?? 0)/\($0["protocol"]?.stringValue ?? "TCP")"
                    }
                    return .string(ports.isEmpty ? "<none>" : ports.joined(separator: ","))
                },
                age,
            ]
        case ("", "nodes"):
            return [
                name,
                Column(name: "Status") { object in
                    let ready = object["status"]?["conditions"]?.arrayValue?.first {
                        $0["type"]?.stringValue == "Ready"
                    }
                    return .string(ready?["status"]?.stringValue == "True" ? "Ready" : "NotReady")
                },
                Column(name: "Roles") { _ in "<none>" }, age,
                text("Version", ["status", "nodeInfo", "kubeletVersion"]),
            ]
        case ("", "persistentvolumeclaims"):
            return [
                name, text("Status", ["status", "phase"]), text("Volume", ["spec", "volumeName"], fallback: ""),
                text("Capacity", ["status", "capacity", "storage"], fallback: ""),
                Column(name: "Access Modes") { object in
                    .string(Self.accessModes(object["status"]?["accessModes"] ?? object["spec"]?["accessModes"]))
                },
                text("StorageClass", ["spec", "storageClassName"], fallback: ""), age,
            ]
        case ("", "persistentvolumes"):
            return [
                name, text("Capacity", ["spec", "capacity", "storage"], fallback: ""),
                Column(name: "Access Modes") { .string(Self.accessModes($0["spec"]?["accessModes"])) },
                text("Reclaim Policy", ["spec", "persistentVolumeReclaimPolicy"]),
                text("Status", ["status", "phase"]),
                Column(name: "Claim") { object in
                    guard let ref = object["spec"]?["claimRef"] else { return "" }
                    return .string("\(ref["namespace"]?.stringValue ?? "")/\(ref["name"]?.stringValue ?? "")")
                },
                text("StorageClass", ["spec", "storageClassName"], fallback: ""), age,
            ]
        case ("apps", "deployments"):
            return [
                name, replicas("Ready"),
                Column(name: "Up-to-date", type: "integer") { .int($0["status"]?["updatedReplicas"]?.intValue ?? 0) },
                Column(name: "Available", type: "integer") { .int($0["status"]?["availableReplicas"]?.intValue ?? 0) },
                age,
            ]
        case ("apps", "replicasets"):
            return [
                name,
                Column(name: "Desired", type: "integer") { .int($0["spec"]?["replicas"]?.intValue ?? 0) },
                Column(name: "Current", type: "integer") { .int($0["status"]?["replicas"]?.intValue ?? 0) },
                Column(name: "Ready", type: "integer") { .int($0["status"]?["readyReplicas"]?.intValue ?? 0) },
                age,
            ]
        case ("apps", "statefulsets"): return [name, replicas("Ready"), age]
        case ("storage.k8s.io", "storageclasses"):
            return [
                name, text("Provisioner", ["provisioner"]),
                text("ReclaimPolicy", ["reclaimPolicy"], fallback: "Delete"),
                text("VolumeBindingMode", ["volumeBindingMode"], fallback: "Immediate"), age,
            ]
        case ("apiextensions.k8s.io", "customresourcedefinitions"):
            return [
                name, Column(name: "Created At", format: "date-time") { $0["metadata"]?["creationTimestamp"] ?? .null },
            ]
        default:
            return [name, age]
        }
    }

    /// The Table for `objects` (rows carry PartialObjectMetadata, or the object with includeObject=Object).
    func table(
        _ objects: [JSONValue],
        resourceVersion: String,
        continueToken: String?,
        remaining: Int?,
        includeObject: String,
        withColumns: Bool = true
    ) -> JSONValue {
        let columns = self.columns
        var metadata: JSONObject = ["resourceVersion": .string(resourceVersion)]
        if let continueToken { metadata["continue"] = .string(continueToken) }
        if let remaining { metadata["remainingItemCount"] = .int(Int64(remaining)) }
        let definitions: JSONValue =
            withColumns
            ? .array(
                columns.map {
                    [
                        "name": .string($0.name), "type": .string($0.type), "format": .string($0.format),
                        "description": .string($0.name), "priority": .int(Int64($0.priority)),
                    ]
                }
            ) : .null
        let rows: [JSONValue] = objects.map { object in
            let embedded: JSONValue
            switch includeObject {
            case "None": embedded = .null
            case "Object": embedded = object
            default:
                embedded = [
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": object["metadata"] ?? [:],
                ]
            }
            return ["cells": .array(columns.map { $0.cell(object) }), "object": embedded]
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(metadata),
            "columnDefinitions": definitions, "rows": .array(rows),
        ]
    }

    static func accessModes(_ value: JSONValue?) -> String {
        let short = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
        return (value?.arrayValue ?? []).compactMap { $0.stringValue.map { short[$0] ?? $0 } }.joined(separator: ",")
    }

    /// kubectl's short age format ("5s", "3m20s", "4h", "2d3h", "45d", "2y").
    static func age(_ timestamp: String?, now: Date) -> String {
        guard let timestamp, let date = try? Date(timestamp, strategy: .iso8601) else { return "<unknown>" }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        let minutes = seconds / 60
        let hours = minutes / 60
        let days = hours / 24
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<600: return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s"
        case ..<(3 * 3600): return "\(minutes)m"
        case ..<(8 * 3600): return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m"
        case ..<(48 * 3600): return "\(hours)h"
        case ..<(8 * 86400): return hours % 24 == 0 ? "\(days)d" : "\(days)d\(hours % 24)h"
        case ..<(2 * 365 * 86400): return "\(days)d"
        default: return "\(days / 365)y"
        }
    }
}

/// A pod's READY, STATUS and RESTARTS columns, worked out from its container statuses as kubectl's pod printer
/// does: `Init:1/2`, `Init:CrashLoopBackOff`, a container's waiting or terminated reason, `Terminating`.
struct PodSummary {
    var ready: String
    var status: String
    var restarts: String

    init(_ pod: JSONValue) {
        let status = pod["status"]
        var reason = status?["reason"]?.stringValue ?? status?["phase"]?.stringValue ?? "Unknown"
        let containers = pod["spec"]?["containers"]?.arrayValue ?? []
        let initContainers = pod["spec"]?["initContainers"]?.arrayValue ?? []
        var restarts: Int64 = 0
        var readyCount = 0
        var initializing = false
        for (index, container) in (status?["initContainerStatuses"]?.arrayValue ?? []).enumerated() {
            restarts += container["restartCount"]?.intValue ?? 0
            let state = container["state"]
            if let terminated = state?["terminated"], terminated["exitCode"]?.intValue == 0 { continue }
            if let terminated = state?["terminated"] {
                let text = terminated["reason"]?.stringValue ?? ""
                reason = "Init:" + (text.isEmpty ? "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)" : text)
            } else if let waiting = state?["waiting"]?["reason"]?.stringValue, !waiting.isEmpty,
                waiting != "PodInitializing"
            {
                reason = "Init:" + waiting
            } else {
                reason = "Init:\(index)/\(initContainers.count)"
            }
            initializing = true
            break
        }
        if !initializing {
            restarts = 0
            var running = false
            for container in (status?["containerStatuses"]?.arrayValue ?? []).reversed() {
                restarts += container["restartCount"]?.intValue ?? 0
                let state = container["state"]
                if let waiting = state?["waiting"]?["reason"]?.stringValue, !waiting.isEmpty {
                    reason = waiting
                } else if let terminated = state?["terminated"] {
                    let text = terminated["reason"]?.stringValue ?? ""
                    reason = text.isEmpty ? "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)" : text
                } else if container["ready"]?.boolValue == true, state?["running"] != nil {
                    running = true
                    readyCount += 1
                }
            }
            if reason == "Completed" && running { reason = "Running" }
        }
        if pod["metadata"]?["deletionTimestamp"].map({ !$0.isNull }) == true { reason = "Terminating" }
        ready = "\(readyCount)/\(containers.count)"
        self.status = reason
        self.restarts = String(restarts)
    }
}
