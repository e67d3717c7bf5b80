import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

/// A service run under leader election: graceful shutdown while leading or while waiting for the Lease.
struct LeaderElectedServiceTests {
    /// Records that it ran, then waits for the graceful shutdown.
    struct WaitingService: Service {
        let ran: Box<Bool>

        func run() async throws {
            ran.update { $0 = true }
            try await gracefulShutdown()
        }
    }

    func elector(_ client: KubeClient, _ identity: String) -> LeaderElector<ContinuousClock> {
        LeaderElector(
            client: client,
            configuration: .init(
                leaseName: "service-lock",
                namespace: "default",
                identity: identity,
                leaseDuration: .seconds(2),
                renewDeadline: .milliseconds(1500),
                retryPeriod: .milliseconds(200)
            ),
            logger: .quiet
        )
    }

    @Test func gracefulShutdownWhileLeadingReleasesTheLease() async throws {
        try await withSandbox { _, client in
            let ran = Box(false)
            let service = LeaderElectedService(elector: elector(client, "a"), service: WaitingService(ran: ran))
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await service.run() }
                    try await waitUntil("the service runs") { ran.get }
                    trigger.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
            }
            let lease = try await client.get(.leases, namespace: "default", name: "service-lock")
            #expect(LeaderElectionRecord(lease: lease).holderIdentity == "")
        }
    }

    @Test func gracefulShutdownWhileWaitingForTheLeaseReturns() async throws {
        try await withSandbox { _, client in
            var lease = KubeObject(
                apiVersion: "coordination.k8s.io/v1",
                kind: "Lease",
                namespace: "default",
                name: "service-lock"
            )
            LeaderElectionRecord(
                holderIdentity: "stranger",
                leaseDurationSeconds: 3600,
                acquireTime: Date(),
                renewTime: Date(),
                leaseTransitions: 0
            ).apply(to: &lease)
            _ = try await client.create(.leases, lease)
            let ran = Box(false)
            let b = elector(client, "b")
            let service = LeaderElectedService(elector: b, service: WaitingService(ran: ran))
            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await service.run() }
                    try await waitUntil("b sees the stranger lead") { b.leader == "stranger" }
                    trigger.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
            }
            #expect(!ran.get)
        }
    }
}
