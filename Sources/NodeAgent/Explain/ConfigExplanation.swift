package import Kubernetes

/// What `lifeboat node-agent config explain` shows: the effective configuration per node and per storage class.
///
/// JSON keys (stable, documented in the README): `warnings`, `loadConcurrency {global, prepareQueueLength,
/// perNode[] {node, number, rule}}`, `loadAffinity[] {storageClass, rule, nodeAffinity, admittedNodes}`,
/// `podResources {requests, limits}` or null, `priorityClassName`, `backupPVC[]`, `restorePVC`,
/// `privilegedFsBackup`, `cachePVC`.
package struct ConfigExplanation: Sendable {
    /// The resolved configuration.
    package var resolved: ResolvedNodeAgentConfig
    /// The cluster it was resolved against.
    package var cluster: ClusterFacts
    /// Load warnings (unknown keys) followed by the resolution warnings.
    package var warnings: [String]

    /// Resolves `config` against `cluster`.
    package init(config: NodeAgentConfig, loadWarnings: [String] = [], cluster: ClusterFacts) {
        resolved = config.resolve(in: cluster)
        self.cluster = cluster
        warnings = loadWarnings + resolved.warnings
    }

    /// The storage classes explained: the cluster's, those the configuration names, sorted; nil stands for
    /// "no storage class" and comes last.
    package var storageClasses: [String?] {
        var names = Set(cluster.storageClasses?.map(\.name) ?? [])
        names.formUnion(resolved.loadAffinity.map(\.storageClass).filter { !$0.isEmpty })
        names.formUnion(resolved.backupPVC.keys)
        return names.sorted().map { Optional($0) } + [nil]
    }

    /// One row per node: its concurrency and the rule that gave it.
    package var perNode: [(node: String, number: Int, rule: String)] {
        cluster.nodes.map { node in
            let c = resolved.concurrency(forNodeLabels: node.labels)
            return (node.name, c.number, c.rule)
        }
    }

    /// One row per storage class: the load-affinity rule, the node affinity of a Linux data-mover pod and
    /// the nodes it admits.
    package var affinity: [(storageClass: String?, rule: String?, nodeAffinity: NodeAffinity?, admitted: [String])] {
        storageClasses.map { sc in
            let rule = resolved.loadAffinity(forStorageClass: sc ?? "")
            let affinity = resolved.nodeAffinity(forStorageClass: sc ?? "")
            let admitted = cluster.nodes.filter { affinity?.admits($0.labels) ?? true }.map(\.name)
            return (sc, rule?.name, affinity, admitted)
        }
    }

    /// The JSON document.
    package var json: JSONValue {
        var root = JSONObject()
        root["warnings"] = .array(warnings.map(JSONValue.string))
        root["loadConcurrency"] = [
            "global": .int(Int64(resolved.globalConcurrency)),
            "prepareQueueLength": .int(Int64(resolved.prepareQueueLength)),
            "perNode": .array(
                perNode.map { (row) -> JSONValue in
                    ["node": .string(row.node), "number": .int(Int64(row.number)), "rule": .string(row.rule)]
                }
            ),
        ]
        root["loadAffinity"] = .array(
            affinity.map { (row) -> JSONValue in
                [
                    "storageClass": row.storageClass.map(JSONValue.string) ?? .null,
                    "rule": row.rule.map(JSONValue.string) ?? .null,
                    "nodeAffinity": row.nodeAffinity?.affinityJSON["nodeAffinity"] ?? .null,
                    "admittedNodes": .array(row.admitted.map(JSONValue.string)),
                ]
            }
        )
        root["podResources"] =
            resolved.podResources.map { (r: ResourceRequirements) -> JSONValue in
                ["requests": r.json["requests"] ?? [:], "limits": r.json["limits"] ?? [:]]
            } ?? .null
        root["priorityClassName"] = resolved.priorityClassName.map(JSONValue.string) ?? .null
        root["backupPVC"] = .array(
            storageClasses.compactMap { $0 }.map { (source: String) -> JSONValue in
                let s = resolved.backupPVCSettings(forSourceStorageClass: source)
                var annotations = JSONObject()
                for key in s.annotations.keys.sorted() { annotations[key] = .string(s.annotations[key] ?? "") }
                return [
                    "sourceStorageClass": .string(source), "storageClass": .string(s.storageClass),
                    "accessModes": [s.readOnly ? "ReadOnlyMany" : "ReadWriteOnce"], "readOnly": .bool(s.readOnly),
                    "spcNoRelabeling": .bool(s.spcNoRelabeling), "annotations": .object(annotations),
                ]
            }
        )
        root["restorePVC"] = ["ignoreDelayBinding": .bool(resolved.ignoreDelayBinding)]
        root["privilegedFsBackup"] = .bool(resolved.privilegedFsBackup)
        root["cachePVC"] =
            resolved.cachePVC.map { (c: ResolvedNodeAgentConfig.CachePVC) -> JSONValue in
                [
                    "storageClass": .string(c.storageClass), "residentThresholdInMB": .int(c.residentThresholdInMB),
                    "thresholdSource": .string(c.thresholdSource),
                ]
            } ?? .null
        return .object(root)
    }
}
