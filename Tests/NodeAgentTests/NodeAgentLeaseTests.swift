import Foundation
import KubeSandboxTesting
import Kubernetes
import KubernetesTesting
import Synchronization
import Testing

@testable import NodeAgent

/// The node agent's presence Lease against a sandbox, its renewals driven by a manual clock.
struct NodeAgentLeaseTests {
    typealias Cluster = NodeAgentControllerTests

    /// A wall clock that moves one second per reading, so that each renewal writes a new `renewTime`.
    final class SteppingDate: Sendable {
        private let seconds = Mutex<Double>(1_800_000_000)
        func next() -> Date {
            seconds.withLock { value in
                value += 1
                return Date(timeIntervalSince1970: value)
            }
        }
    }

    func lease(_ client: KubeClient, node: String) async throws -> KubeObject? {
        let name = NodeAgentLease<ManualClock>.leaseName(node: node)
        do {
            return try await client.get(.leases, namespace: Cluster.namespace, name: name)
        } catch let error as KubeError where error.code == .notFound {
            return nil
        }
    }

    @Test func theLeaseAppearsIsRenewedEveryIntervalAndIsDeletedWhenTheNodeAgentStops() async throws {
        try await Cluster.withCluster { _, client in
            let clock = ManualClock()
            let wall = SteppingDate()
            let service = NodeAgentLease(
                client: client,
                configuration: .init(nodeName: "node-a", namespace: Cluster.namespace, now: { wall.next() }),
                clock: clock,
                logger: .quiet
            )
            #expect(NodeAgentLease<ManualClock>.leaseName(node: "node-a") == "lifeboat-node-agent-node-a")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                var first: LeaderElectionRecord?
                try await waitUntil("the lease is created") {
                    first = try await lease(client, node: "node-a").map(LeaderElectionRecord.init(lease:))
                    return first != nil
                }
                let created = try #require(first)
                #expect(created.holderIdentity == "node-a")
                #expect(created.leaseDurationSeconds == 40)
                #expect(created.acquireTime == created.renewTime)
                let raw = try #require(try await lease(client, node: "node-a"))
                #expect(raw["spec"]?["renewTime"]?.stringValue?.hasSuffix(".000000Z") == true)

                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(10))
                try await waitUntil("the lease is renewed") {
                    let record = try await lease(client, node: "node-a").map(LeaderElectionRecord.init(lease:))
                    return (record?.renewTime ?? .distantPast) > (created.renewTime ?? .distantFuture)
                }
                let renewed = LeaderElectionRecord(lease: try #require(try await lease(client, node: "node-a")))
                #expect(renewed.acquireTime == created.acquireTime)
                group.cancelAll()
                try await group.waitForAll()
            }
            #expect(try await lease(client, node: "node-a") == nil)
        }
    }

    @Test func aLeaseHeldByAnotherIdentityIsTakenOver() async throws {
        try await Cluster.withCluster { _, client in
            var stale = KubeObject(
                apiVersion: "coordination.k8s.io/v1",
                kind: "Lease",
                namespace: Cluster.namespace,
                name: "lifeboat-node-agent-node-b"
            )
            LeaderElectionRecord(
                holderIdentity: "someone-else",
                leaseDurationSeconds: 40,
                acquireTime: Date(timeIntervalSince1970: 1_700_000_000),
                renewTime: Date(timeIntervalSince1970: 1_700_000_000),
                leaseTransitions: 2
            ).apply(to: &stale)
            _ = try await client.create(.leases, stale)
            let service = NodeAgentLease(
                client: client,
                configuration: .init(nodeName: "node-b", namespace: Cluster.namespace),
                clock: ManualClock(),
                logger: .quiet
            )
            try await service.renew()
            let record = LeaderElectionRecord(lease: try #require(try await lease(client, node: "node-b")))
            #expect(record.holderIdentity == "node-b")
            #expect(record.leaseTransitions == 3)
            #expect(record.acquireTime != Date(timeIntervalSince1970: 1_700_000_000))
            await service.deleteDetached()
            #expect(try await lease(client, node: "node-b") == nil)
        }
    }
}
