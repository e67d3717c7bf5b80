import Foundation
import VeleroAPI

/// The pod volume sections of `backup describe` and `restore describe`, in Velero's format
/// (`describePodVolumeBackups` and `describePodVolumeRestores` of `pkg/cmd/util/output`, after its tab writer:
/// two spaces per level, counts aligned).
enum PodVolumeDescription {
    /// One backed-up or restored volume.
    struct Item {
        var podNamespace: String
        var podName: String
        var volume: String
        var phase: String?
        var progress: DataMoveProgress?
        var incrementalBytes: Int64
    }

    /// The backup's section, indented under `Backup Volumes:`.
    static func backups(_ backups: [PodVolumeBackup], details: Bool) -> String {
        guard let first = backups.first else { return "  Pod Volume Backups: <none included>\n" }
        let uploader = first.spec.uploaderType ?? ""
        var out =
            details
            ? "  Pod Volume Backups - \(uploader):\n"
            : "  Pod Volume Backups - \(uploader) (specify --details for more information):\n"
        let items = backups.map {
            Item(
                podNamespace: $0.spec.pod.namespace ?? "",
                podName: $0.spec.pod.name ?? "",
                volume: $0.spec.volume,
                phase: $0.status?.phase,
                progress: $0.status?.progress,
                incrementalBytes: $0.status?.incrementalBytes ?? 0
            )
        }
        out += phases(
            items,
            order: ["Completed", "Failed", "Canceled", "In Progress", "Canceling", "Prepared", "Accepted", "New"],
            details: details,
            indent: "    "
        )
        return out
    }

    /// The restore's section (empty without PodVolumeRestores).
    static func restores(_ restores: [PodVolumeRestore], details: Bool) -> String {
        guard let first = restores.first else { return "" }
        let uploader = first.spec.uploaderType ?? ""
        var out =
            details
            ? "\(uploader) Restores:\n" : "\(uploader) Restores (specify --details for more information):\n"
        let items = restores.map {
            Item(
                podNamespace: $0.spec.pod.namespace ?? "",
                podName: $0.spec.pod.name ?? "",
                volume: $0.spec.volume,
                phase: $0.status?.phase,
                progress: $0.status?.progress,
                incrementalBytes: 0
            )
        }
        out += phases(
            items,
            order: ["Completed", "Canceled", "Failed", "In Progress", "Prepared", "Accepted", "New"],
            details: details,
            indent: "  "
        )
        return out
    }

    /// Velero's group name of a phase (`InProgress` → `In Progress`, none → `New`).
    static func group(_ phase: String?) -> String {
        switch phase ?? "" {
        case "", DataMovePhase.new: "New"
        case DataMovePhase.inProgress: "In Progress"
        case let other: other
        }
    }

    /// The phases in `order`, with counts (aligned like Velero's tab writer) or, with details, the volumes by pod.
    static func phases(_ items: [Item], order: [String], details: Bool, indent: String) -> String {
        let byPhase = Dictionary(grouping: items) { group($0.phase) }
        let present = order.filter { byPhase[$0]?.isEmpty == false }
        guard details else {
            let width = (present.map(\.count).max() ?? 0) + 1
            return present.map { phase in
                let label = (phase + ":").padding(toLength: width + 2, withPad: " ", startingAt: 0)
                return "\(indent)\(label)\(byPhase[phase]?.count ?? 0)\n"
            }.joined()
        }
        var out = ""
        for phase in present {
            out += "\(indent)\(phase):\n"
            var byPod: [String: [String]] = [:]
            for item in byPhase[phase] ?? [] {
                byPod["\(item.podNamespace)/\(item.podName)", default: []].append(label(item, phase: phase))
            }
            for pod in byPod.keys.sorted() {
                out += "\(indent)  \(pod): \((byPod[pod] ?? []).sorted().joined(separator: ", "))\n"
            }
        }
        return out
    }

    /// Velero's `volumesByPod.Add`: progress in percent while in progress, sizes once completed.
    static func label(_ item: Item, phase: String) -> String {
        let total = item.progress?.totalBytes ?? 0
        let done = item.progress?.bytesDone ?? 0
        if phase == "In Progress" && total != 0 {
            return "\(item.volume) (\(String(format: "%.2f", Double(done) / Double(total) * 100))%)"
        }
        if phase == "Completed" && item.incrementalBytes > 0 {
            return "\(item.volume) (size: \(total), incremental size: \(item.incrementalBytes))"
        }
        if phase == "Completed" && total > 0 { return "\(item.volume) (size: \(total))" }
        return item.volume
    }
}
