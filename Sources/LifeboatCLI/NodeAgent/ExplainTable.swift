import Foundation
import Kubernetes
import NodeAgent

/// The `-o table` rendering of ``ConfigExplanation``.
enum ExplainTable {
    static func render(_ e: ConfigExplanation) -> String {
        let r = e.resolved
        var out = ""
        if !e.warnings.isEmpty {
            out += "WARNINGS\n"
            for w in e.warnings { out += "  - \(w)\n" }
            out += "\n"
        }
        let queue = r.prepareQueueLength > 0 ? "\(r.prepareQueueLength)" : "unlimited"
        out += "LOAD CONCURRENCY (global \(r.globalConcurrency), prepare queue length \(queue))\n"
        out += table(["NODE", "NUMBER", "RULE"], e.perNode.map { [$0.node, "\($0.number)", $0.rule] })
        out += "\nLOAD AFFINITY (DataUpload/DataDownload pods)\n"
        out += table(
            ["STORAGE CLASS", "RULE", "ADMITTED NODES", "REQUIRED NODE AFFINITY"],
            e.affinity.map { row in
                [
                    row.storageClass ?? "<none>", row.rule ?? "-",
                    row.admitted.isEmpty ? "<none>" : row.admitted.joined(separator: ","),
                    row.nodeAffinity.map(describe) ?? "-",
                ]
            }
        )
        out += "\nPOD RESOURCES: "
        if let res = r.podResources {
            out += "requests \(list(res.requests)); limits \(list(res.limits))\n"
        } else {
            out += "none (BestEffort)\n"
        }
        out += "PRIORITY CLASS: \(r.priorityClassName ?? "none (default priority)")\n"
        out += "\nBACKUP PVC (by source storage class)\n"
        out += table(
            ["SOURCE", "STORAGE CLASS", "ACCESS MODE", "SPC_T", "ANNOTATIONS"],
            e.storageClasses.compactMap { $0 }.map { source in
                let s = r.backupPVCSettings(forSourceStorageClass: source)
                return [
                    source, s.storageClass, s.readOnly ? "ReadOnlyMany" : "ReadWriteOnce",
                    s.spcNoRelabeling ? "yes" : "no",
                    s.annotations.isEmpty
                        ? "-"
                        : s.annotations.keys.sorted().map { "\($0)=\(s.annotations[$0] ?? "")" }.joined(separator: ","),
                ]
            }
        )
        out += "\nRESTORE PVC: ignoreDelayBinding=\(r.ignoreDelayBinding)\n"
        out += "PRIVILEGED FS-BACKUP: \(r.privilegedFsBackup)\n"
        if let c = r.cachePVC {
            out +=
                "CACHE PVC: storage class \(c.storageClass), threshold \(c.residentThresholdInMB) MiB (from \(c.thresholdSource))\n"
        } else {
            out += "CACHE PVC: none\n"
        }
        return out
    }

    static func list(_ map: [String: Quantity]) -> String {
        let names = ["cpu", "memory", "ephemeral-storage"].filter { map[$0] != nil }
        return names.isEmpty ? "none" : names.map { "\($0)=\(map[$0]?.description ?? "")" }.joined(separator: ",")
    }

    static func describe(_ affinity: NodeAffinity) -> String {
        affinity.terms.map { term in
            term.map { r in
                r.values.isEmpty
                    ? "\(r.key) \(r.operator)" : "\(r.key) \(r.operator) [\(r.values.joined(separator: ","))]"
            }
            .joined(separator: "; ")
        }.joined(separator: " OR ")
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
