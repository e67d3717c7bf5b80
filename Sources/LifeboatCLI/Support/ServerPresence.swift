import Foundation
import Kubernetes
import VeleroAPI

/// Whether a server processes the install namespace's velero.io resources: a `lifeboat server` whose Lease
/// (`lifeboat-server`) is held and renewed within its duration, or a ready Deployment `velero` (Velero's own server,
/// which runs as one replica without a Lease). Read in two GETs, without waiting for anything.
enum ServerPresence: Equatable {
    /// `lifeboat server`, with the identity that leads.
    case lifeboat(holder: String)
    /// Velero's `velero` Deployment with ready replicas.
    case velero
    case none

    static let leaseName = "lifeboat-server"
    static let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")

    static func detect(client: KubeClient, namespace: String, now: Date = Date()) async -> ServerPresence {
        if let lease = try? await client.get(.leases, namespace: namespace, name: leaseName) {
            let record = LeaderElectionRecord(lease: lease)
            if let holder = record.holderIdentity, !holder.isEmpty, let renewed = record.renewTime,
                renewed.addingTimeInterval(TimeInterval(record.leaseDurationSeconds)) > now
            {
                return .lifeboat(holder: holder)
            }
        }
        if let deployment = try? await client.get(deployments, namespace: namespace, name: "velero"),
            (deployment["status"]?["readyReplicas"]?.intValue ?? 0) > 0
        {
            return .velero
        }
        return .none
    }
}
