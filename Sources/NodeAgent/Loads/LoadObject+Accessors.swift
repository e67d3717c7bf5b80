package import Foundation
import Kubernetes
import VeleroAPI

extension LoadObject {
    /// `metadata.name`.
    package var name: String { object["metadata"]?["name"]?.stringValue ?? "" }
    /// `metadata.namespace`.
    package var namespace: String { object["metadata"]?["namespace"]?.stringValue ?? "" }
    /// `metadata.uid`.
    package var uid: String { object["metadata"]?["uid"]?.stringValue ?? "" }
    /// `metadata.resourceVersion`.
    package var resourceVersion: String? { object["metadata"]?["resourceVersion"]?.stringValue }
    /// The node that accepted the load: `status.acceptedByNode` (DataUpload, DataDownload), `spec.node`
    /// (PodVolumeBackup: only that node's agent takes it) or `status.node` (PodVolumeRestore: Velero sets it
    /// at acceptance). PodVolumeBackup and PodVolumeRestore have no `status.acceptedByNode`.
    package var acceptedByNode: String? {
        switch kind {
        case .dataUpload, .dataDownload: nonEmpty(object["status"]?["acceptedByNode"]?.stringValue)
        case .podVolumeBackup: nonEmpty(object["spec"]?["node"]?.stringValue)
        case .podVolumeRestore: nonEmpty(object["status"]?["node"]?.stringValue)
        }
    }
    /// Where the data path runs: `status.node` (for a PodVolumeBackup `spec.node`, once Prepared).
    package var node: String? {
        guard kind == .podVolumeBackup else { return nonEmpty(object["status"]?["node"]?.stringValue) }
        switch phase {
        case .prepared, .inProgress, .canceling, .completed, .failed, .canceled:
            return nonEmpty(object["spec"]?["node"]?.stringValue)
        case .new, .accepted: return nil
        }
    }
    /// `status.message`.
    package var message: String? { nonEmpty(object["status"]?["message"]?.stringValue) }
    /// `status.acceptedTimestamp`.
    package var acceptedTime: Date? { Self.date(object["status"]?["acceptedTimestamp"]?.stringValue) }
    /// `status.startTimestamp`.
    package var startTime: Date? { Self.date(object["status"]?["startTimestamp"]?.stringValue) }
    /// `spec.datamover` (Velero's JSON key): only the built-in data mover ("velero" or empty) is handled.
    package var isBuiltInDataMover: Bool {
        let mover = object["spec"]?["datamover"]?.stringValue ?? ""
        return mover.isEmpty || mover == "velero"
    }
    /// `spec.pod` of a PodVolumeBackup or PodVolumeRestore: the pod whose volume is read or written (its
    /// namespace defaults to the load's; the name is empty when missing).
    package var clientPod: (namespace: String, name: String) {
        let pod = object["spec"]?["pod"]
        return (pod?["namespace"]?.stringValue ?? namespace, pod?["name"]?.stringValue ?? "")
    }
    /// The identity used as owner of exposed resources.
    package var reference: LoadReference { LoadReference(kind: kind, name: name, namespace: namespace, uid: uid) }

    /// An RFC 3339 timestamp in seconds, as Kubernetes writes `metav1.Time`.
    package static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    /// Parses an RFC 3339 timestamp (with or without fractional seconds).
    package static func date(_ text: String?) -> Date? {
        text.flatMap(Timestamps.parse)
    }

    private func nonEmpty(_ s: String?) -> String? { s?.isEmpty == false ? s : nil }
}
