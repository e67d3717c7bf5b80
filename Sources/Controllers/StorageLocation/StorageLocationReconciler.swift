package import BackupEngine
package import Foundation
package import Kubernetes
package import Logging
import VeleroAPI

/// The BackupStorageLocation controller's reconcile (Velero's `backupStorageLocationReconciler`): keeps a single
/// default location, and when ``LocationValidationDecision`` says so checks that the location can be used — a
/// valid spec, a store that can be opened, listed and laid out as Velero expects, and for a `ReadWrite` location a
/// write probe (as `lifeboat backup-location create`) — then records `Available` or `Unavailable` with the reason,
/// and `lastValidationTime`, and in `velero_backup_location_status_gauge` (1 available, 0 not).
package struct StorageLocationReconciler: Reconciler {
    let client: KubeClient
    let locations: StorageLocations
    let serverFrequency: Duration
    let now: @Sendable () -> Date
    let metrics: ServerMetrics
    let logger: Logger

    /// - Parameters:
    ///   - client: the API client.
    ///   - locations: the locations of the install namespace and their stores.
    ///   - serverFrequency: `--store-validation-frequency`.
    ///   - now: the time source.
    ///   - metrics: where the locations' availability is recorded.
    ///   - logger: where validations are logged.
    package init(
        client: KubeClient,
        locations: StorageLocations,
        serverFrequency: Duration,
        now: @escaping @Sendable () -> Date = { Date() },
        metrics: ServerMetrics = ServerMetrics(),
        logger: Logger
    ) {
        self.metrics = metrics
        self.client = client
        self.locations = locations
        self.serverFrequency = serverFrequency
        self.now = now
        self.logger = logger
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        let namespace = key.namespace ?? locations.namespace
        let all = try await client.list(BackupStorageLocation.resource, namespace: namespace).items
        guard let object = all.first(where: { $0.name == key.name }) else { return ReconcileResult() }
        let location: BackupStorageLocation
        do {
            location = try object.value.decode(as: BackupStorageLocation.self)
        } catch {
            logger.warning("backup storage location \(key) cannot be read: \(error)")
            return ReconcileResult()
        }
        await ensureSingleDefault(all, namespace: namespace)

        let decision = LocationValidationDecision.decide(location, serverFrequency: serverFrequency, now: now())
        guard decision.validate else { return ReconcileResult(requeueAfter: decision.requeueAfter) }
        let problem = await validationError(location)
        let status = LocationValidationDecision.status(of: location, error: problem, now: now())
        if let problem {
            logger.info(
                "BackupStorageLocation is invalid, marking as unavailable: \(problem)",
                metadata: ["bsl": "\(key)"]
            )
        } else {
            logger.debug("BackupStorageLocations is valid, marking as available", metadata: ["bsl": "\(key)"])
        }
        let encoded = try JSONValue(encoding: status)
        try await client.changeStatus(BackupStorageLocation.resource, namespace: namespace, name: key.name) { live in
            var merged = live.status?.objectValue ?? [:]
            for field in ["phase", "lastValidationTime", "message"] { merged[field] = encoded[field] }
            live.status = .object(merged)
            return true
        }
        metrics.locationStatus(key.name, available: problem == nil)
        return ReconcileResult(requeueAfter: decision.requeueAfter)
    }

    /// Why `location` cannot be used, nil when it can.
    func validationError(_ location: BackupStorageLocation) async -> String? {
        let errors = StorageLocations.validationErrors(location.spec)
        guard errors.isEmpty else { return errors.joined(separator: "; ") }
        do {
            let store = try await locations.store(for: location)
            try await store.validate()
            if !location.isReadOnly { try await store.probe() }
            return nil
        } catch is CancellationError {
            return "validation was cancelled"
        } catch {
            return "\(error)"
        }
    }

    /// Unsets `spec.default` on all but the newest default location (Velero's `ensureSingleDefaultBSL`).
    private func ensureSingleDefault(_ objects: [KubeObject], namespace: String) async {
        let decoded = objects.compactMap { try? $0.value.decode(as: BackupStorageLocation.self) }
        for name in LocationValidationDecision.defaultsToUnset(decoded) {
            guard var object = objects.first(where: { $0.name == name }) else { continue }
            object.value[path: ["spec", "default"]] = .bool(false)
            do {
                _ = try await client.update(BackupStorageLocation.resource, namespace: namespace, object)
                logger.info("update default backup storage location \"\(name)\" to false")
            } catch {
                logger.info("failed to unset default backup storage location \"\(name)\": \(error)")
            }
        }
    }
}
