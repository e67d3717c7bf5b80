package import Foundation
package import Kubernetes
package import Logging
import ServiceLifecycle

/// A node agent's presence in the cluster: a `coordination.k8s.io/v1` Lease named
/// ``leaseName(node:)`` (`lifeboat-node-agent-<node>`) in the install namespace, held by the node
/// (`spec.holderIdentity`), renewed every ``Configuration/renewInterval`` (`spec.renewTime`, a MicroTime) with
/// `spec.leaseDurationSeconds` 40, and deleted on graceful shutdown. The backup side reads it to fail fast when
/// no node agent serves a pod's node: a Lease whose `renewTime + leaseDurationSeconds` is in the past means the
/// node agent is gone.
///
/// ```swift
/// let lease = NodeAgentLease(client: client, configuration: .init(nodeName: "node-1", namespace: "velero"),
///                            clock: ContinuousClock(), logger: logger)
/// let group = ServiceGroup(configuration: .init(services: [controller, lease], logger: logger))
/// ```
package struct NodeAgentLease<C: Clock>: Service where C.Duration == Duration {
    /// Settings of the Lease.
    package struct Configuration: Sendable {
        /// The node (the Lease's name and holder).
        package var nodeName: String
        /// The install namespace.
        package var namespace: String
        /// Time between renewals (10 s).
        package var renewInterval: Duration
        /// `spec.leaseDurationSeconds` (40: four renewals may be missed before the node agent counts as gone).
        package var leaseDurationSeconds: Int
        /// The wall clock of `acquireTime` and `renewTime`.
        package var now: @Sendable () -> Date

        package init(
            nodeName: String,
            namespace: String = "velero",
            renewInterval: Duration = .seconds(10),
            leaseDurationSeconds: Int = 40,
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.nodeName = nodeName
            self.namespace = namespace
            self.renewInterval = renewInterval
            self.leaseDurationSeconds = leaseDurationSeconds
            self.now = now
        }
    }

    /// The Lease of the node agent of `node`.
    package static func leaseName(node: String) -> String { "lifeboat-node-agent-\(node)" }

    /// The label every node-agent Lease carries (value: the node), so they can be listed together.
    package static var nodeLabel: String { "lifeboat.io/node-agent" }

    package let client: KubeClient
    package let configuration: Configuration
    package let clock: C
    package let logger: Logger

    package init(client: KubeClient, configuration: Configuration, clock: C, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    var name: String { Self.leaseName(node: configuration.nodeName) }

    /// Renews the Lease until cancelled or a graceful shutdown, then deletes it.
    package func run() async throws {
        let lease = self
        await cancelWhenGracefulShutdown { await lease.renewUntilCancelled() }
        await deleteDetached()
    }

    private func renewUntilCancelled() async {
        while !Task.isCancelled {
            do {
                try await renew()
            } catch {
                if Task.isCancelled { return }
                logger.info(
                    "renewing the node-agent lease failed",
                    metadata: ["lease": "\(name)", "error": "\(error)"]
                )
            }
            do { try await clock.sleep(for: configuration.renewInterval) } catch { return }
        }
    }

    /// Creates the Lease, or renews it (taking it over, with a new `acquireTime`, when another holder had it).
    package func renew() async throws {
        let now = configuration.now()
        let node = configuration.nodeName
        let existing: KubeObject
        do {
            existing = try await client.get(.leases, namespace: configuration.namespace, name: name)
        } catch let error as KubeError where error.code == .notFound {
            var lease = KubeObject(
                apiVersion: "coordination.k8s.io/v1",
                kind: "Lease",
                namespace: configuration.namespace,
                name: name
            )
            lease.labels = [Self.nodeLabel: node]
            record(acquired: now, renewed: now, transitions: 0).apply(to: &lease)
            _ = try await client.create(.leases, namespace: configuration.namespace, lease)
            logger.debug("node-agent lease created", metadata: ["lease": "\(name)"])
            return
        }
        let previous = LeaderElectionRecord(lease: existing)
        let held = previous.holderIdentity == node
        var lease = existing
        record(
            acquired: held ? previous.acquireTime ?? now : now,
            renewed: now,
            transitions: previous.leaseTransitions + (held ? 0 : 1)
        ).apply(to: &lease)
        _ = try await client.update(.leases, namespace: configuration.namespace, lease)
    }

    private func record(acquired: Date, renewed: Date, transitions: Int) -> LeaderElectionRecord {
        LeaderElectionRecord(
            holderIdentity: configuration.nodeName,
            leaseDurationSeconds: configuration.leaseDurationSeconds,
            acquireTime: acquired,
            renewTime: renewed,
            leaseTransitions: transitions
        )
    }

    /// Deletes the Lease (a missing one is fine), from a task of its own so that a cancelled caller still
    /// removes it (the task is awaited, not kept).
    package func deleteDetached() async {
        let lease = self
        await Task {
            do {
                try await lease.client.delete(.leases, namespace: lease.configuration.namespace, name: lease.name)
                lease.logger.debug("node-agent lease deleted", metadata: ["lease": "\(lease.name)"])
            } catch let error as KubeError where error.code == .notFound {
                return
            } catch {
                lease.logger.info(
                    "deleting the node-agent lease failed",
                    metadata: ["lease": "\(lease.name)", "error": "\(error)"]
                )
            }
        }.value
    }
}
