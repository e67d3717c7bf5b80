package import Foundation
package import Kubernetes

/// Whether a node agent serves a node, so that a backup fails a pod's volumes at once instead of waiting out
/// its timeout when nothing would ever pick up their PodVolumeBackups.
///
/// A node is served when either
/// - a Running node-agent pod is on it (Velero's `nodeagent.IsRunningInNode`: pods of the install namespace
///   labelled `role=node-agent`, or `name=node-agent` as the DaemonSet's pods also are), or
/// - a `lifeboat node-agent server` run as a host process for it holds the Lease `lifeboat-node-agent-<node>` of
///   the install namespace and has renewed it within its `leaseDurationSeconds`.
package struct NodeAgentPresence: Sendable {
    /// The labels that mark node-agent pods (`role` is what Velero 1.18 selects on).
    package static let podLabels: [(key: String, value: String)] = [("role", "node-agent"), ("name", "node-agent")]

    package let client: KubeClient
    /// The install namespace.
    package let namespace: String

    package init(client: KubeClient, namespace: String) {
        self.client = client
        self.namespace = namespace
    }

    /// The Lease a host-process node agent holds for `node`.
    package static func leaseName(node: String) -> String { "lifeboat-node-agent-\(node)" }

    /// Whether a node agent serves `node` at `now`.
    /// - Throws: `KubeError` when the pods or the Lease cannot be read.
    package func serves(node: String, now: Date = Date()) async throws -> Bool {
        for label in Self.podLabels {
            let selector = try LabelSelector(matchLabels: [label.key: label.value])
            let pods = try await client.list(.pods, namespace: namespace, options: ListOptions(labelSelector: selector))
            if pods.items.contains(where: { Self.isRunning($0, on: node) }) { return true }
        }
        do {
            let lease = try await client.get(.leases, namespace: namespace, name: Self.leaseName(node: node))
            return Self.isCurrent(LeaderElectionRecord(lease: lease), node: node, now: now)
        } catch let error as KubeError where error.code == .notFound {
            return false
        }
    }

    /// A pod on `node` that is Running and not being deleted (`kube.IsPodRunning`).
    static func isRunning(_ pod: KubeObject, on node: String) -> Bool {
        pod["spec"]?["nodeName"]?.stringValue == node && pod["status"]?["phase"]?.stringValue == "Running"
            && pod.deletionTimestamp == nil
    }

    /// A Lease held (any holder) and renewed within its duration.
    static func isCurrent(_ record: LeaderElectionRecord, node: String, now: Date) -> Bool {
        guard let renewed = record.renewTime ?? record.acquireTime, record.leaseDurationSeconds > 0,
            !(record.holderIdentity ?? "").isEmpty
        else { return false }
        return renewed.addingTimeInterval(TimeInterval(record.leaseDurationSeconds)) > now
    }

    /// The error of a pod whose node has no node agent: Velero's words, then how to start one.
    package static func notServedMessage(node: String) -> String {
        "daemonset pod not found in running state in node \(node): no node agent serves node \(node); start one "
            + "with `lifeboat install --use-node-agent` (the node-agent DaemonSet) or run "
            + "`lifeboat node-agent server --node-name \(node)` on that node"
    }

    /// ``serves(node:now:)``, answering false when the pods or the Lease cannot be read.
    package func isServed(node: String) async -> Bool { (try? await serves(node: node)) ?? false }

    /// The error of a restored pod volume whose pod runs on a node no node agent serves.
    package static func missingMessage(node: String) -> String {
        "node-agent pod is not running in node \(node): no node agent serves node \(node) (no Running node-agent "
            + "pod and no current Lease \(leaseName(node: node))); start node agents with `lifeboat install "
            + "--use-node-agent` (the node-agent DaemonSet) or run `lifeboat node-agent server --node-name \(node)` "
            + "on that node"
    }
}
