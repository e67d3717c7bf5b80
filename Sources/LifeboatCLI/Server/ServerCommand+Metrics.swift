import ArgumentParser
import Controllers
import Kubernetes
import Logging
import Prometheus
import ServiceLifecycle

extension ServerCommand {
    /// Checks `--metrics-address` (Go's `host:port`).
    func validateMetricsAddress() throws {
        _ = try MetricsServer.Address.checked(metricsAddress)
    }

    /// A swift-metrics factory recording into `registry`, with Velero's histogram buckets.
    static func metricsFactory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = ServerMetrics.durationHistogramBuckets
        return factory
    }

    /// The services every replica runs, leader or not: the endpoint that serves `registry` on `--metrics-address`
    /// and the minute count of Backups and Restores (``InventoryMetrics``).
    func metricsServices(
        _ controllers: ServerControllers<ContinuousClock>,
        registry: PrometheusCollectorRegistry,
        client: KubeClient,
        logger: Logger
    ) -> [any Service] {
        guard let address = MetricsServer.Address(parsing: metricsAddress) else { return [] }
        return [
            MetricsServer(address: address, registry: registry, logger: logger),
            InventoryMetrics(
                client: client,
                namespace: globals.installNamespace,
                metrics: controllers.metrics,
                clock: ContinuousClock(),
                logger: logger
            ),
        ]
    }
}
