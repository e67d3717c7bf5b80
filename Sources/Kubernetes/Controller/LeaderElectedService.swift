public import ServiceLifecycle

/// Runs a service only while this process leads (controller-runtime's leader-elected runnables): waits for
/// the Lease, runs `service` while renewing it, and releases the Lease when the service returns.
///
/// A graceful shutdown before the Lease is won ends the wait and returns; once leading, `service` sees the
/// graceful shutdown itself. Losing the Lease cancels `service` and throws ``KubeError`` `.leadershipLost`,
/// which ends the service group: the process exits and a newer instance campaigns again, as client-go
/// recommends.
///
/// ```swift
/// let elector = LeaderElector(client: client, configuration: .init(
///     leaseName: "lifeboat", namespace: "velero", identity: podName), logger: logger)
/// let group = ServiceGroup(configuration: .init(
///     services: [LeaderElectedService(elector: elector, service: controller)], logger: logger))
/// ```
public struct LeaderElectedService<S: Service, C: Clock>: Service where C.Duration == Duration {
    public let elector: LeaderElector<C>
    public let service: S

    public init(elector: LeaderElector<C>, service: S) {
        self.elector = elector
        self.service = service
    }

    public func run() async throws {
        let service = self.service
        do {
            try await elector.withLeadership { try await service.run() }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            // The graceful shutdown came before the Lease did.
        }
    }
}
