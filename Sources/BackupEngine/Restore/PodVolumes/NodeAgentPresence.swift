import Foundation
package import Kubernetes

/// Whether a node agent serves a node, so a pod volume restore on that node can run (Velero's
/// `nodeagent.IsRunningInNode`, plus Lifeboat's Lease).
///
/// A node agent is present when, in the install namespace,
/// - the Lease `lifeboat-node-agent-<node>` that every Lifeboat node agent renews (every 10 s, for 40 s) is
///   current, or
/// - a Running pod labelled `name=node-agent` or `role=node-agent` (the node-agent DaemonSet's pods) runs on the
///   node.
package struct NodeAgentPresence: Sendable {
    /// The Lease name prefix.
    package static let leasePrefix = "lifeboat-node-agent-"
    /// How to start node agents, for the messages of restores that find none.
    package static let howToStart =
        "start node agents with `lifeboat install --use-node-agent` (the node-agent DaemonSet) or run "
        + "`lifeboat node-agent server` on the node"

    /// The API client.
    package let client: KubeClient
    /// The install namespace.
    package let namespace: String

    /// Creates a check against `namespace`.
    package init(client: KubeClient, namespace: String) {
        self.client = client
        self.namespace = namespace
    }

    /// Whether a node agent serves `node` now.
    package func isServed(node: String) async -> Bool {
        let now = Date()
        if let lease = try? await client.get(.leases, namespace: namespace, name: Self.leasePrefix + node) {
            let record = LeaderElectionRecord(lease: lease)
            if let renewed = record.renewTime ?? record.acquireTime,
                renewed.addingTimeInterval(TimeInterval(max(record.leaseDurationSeconds, 1))) >= now
            {
                return true
            }
        }
        guard let pods = try? await client.list(.pods, namespace: namespace) else { return false }
        return pods.items.contains { pod in
            let labels = pod.labels
            guard labels["name"] == "node-agent" || labels["role"] == "node-agent" else { return false }
            return pod["spec"]?["nodeName"]?.stringValue == node && pod["status"]?["phase"]?.stringValue == "Running"
        }
    }

    /// The error of a volume whose pod runs on a node no node agent serves.
    package static func missingMessage(node: String) -> String {
        "node-agent pod is not running in node \(node): no node agent serves node \(node) (no Running node-agent "
            + "pod and no current Lease \(leasePrefix + node)); \(howToStart)"
    }
}
