package import Foundation
package import Kubernetes
package import Logging
import VeleroAPI

/// The GC controller's reconcile (Velero's `gcReconciler`): looks at every Backup of the install namespace once per
/// `--garbage-collection-frequency` (and when it is created or changes), and asks for the deletion of expired ones
/// with a DeleteBackupRequest, as ``GarbageCollectionDecision`` decides; the DeleteBackupRequest controller deletes.
package struct GarbageCollectionReconciler: Reconciler {
    let client: KubeClient
    let frequency: Duration
    let now: @Sendable () -> Date
    let logger: Logger

    /// - Parameters:
    ///   - client: the API client.
    ///   - frequency: `--garbage-collection-frequency` (Velero takes 1h for zero or less).
    ///   - now: the time source.
    ///   - logger: where decisions are logged.
    package init(
        client: KubeClient,
        frequency: Duration,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.client = client
        self.frequency = frequency > .zero ? frequency : .seconds(3600)
        self.now = now
        self.logger = logger
    }

    /// Only Backups that have an expiration can expire: Backups that wait in the queue or have not started are not
    /// looked at (nor the queue's rewrites of their positions).
    package static func predicate(_ event: InformerEvent) -> Bool {
        if case .deleted = event { return false }
        return event.object["status"]?["expiration"]?.stringValue?.isEmpty == false
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        let namespace = key.namespace ?? ""
        guard let object = try await client.getIfPresent(Backup.resource, namespace: namespace, name: key.name) else {
            return ReconcileResult()
        }
        let next = ReconcileResult(requeueAfter: frequency)
        guard let backup = try? object.value.decode(as: Backup.self) else { return next }
        let time = now()
        guard GarbageCollectionDecision.isExpired(backup, now: time) else { return next }
        logger.info("Backup:\(key.name) has expired", metadata: ["backup": "\(key)"])

        let location = await client.storageLocation(backup.spec.storageLocation ?? "", namespace: namespace)
        var requestPhases: [String?] = []
        if case .delete = GarbageCollectionDecision.decide(backup, location: location, requestPhases: [], now: time) {
            let selector = try LabelSelector(
                matchLabels: GarbageCollectionDecision.request(for: backup).metadata.labels ?? [:]
            )
            requestPhases = try await client.list(
                DeleteBackupRequest.resource,
                namespace: namespace,
                options: ListOptions(labelSelector: selector)
            ).items.map { $0["status"]?["phase"]?.stringValue }
        }
        switch GarbageCollectionDecision.decide(backup, location: location, requestPhases: requestPhases, now: time) {
        case .notExpired:
            break
        case .blocked(let label, let reason):
            logger.info("Backup cannot be garbage-collected: \(reason)", metadata: ["backup": "\(key)"])
            if let label { try await setFailureLabel(label, on: object, namespace: namespace) }
        case .pending:
            try await setFailureLabel(nil, on: object, namespace: namespace)
            logger.info("Backup already has a pending deletion request", metadata: ["backup": "\(key)"])
        case .delete(let request):
            try await setFailureLabel(nil, on: object, namespace: namespace)
            logger.info("Creating a new deletion request", metadata: ["backup": "\(key)"])
            guard let body = KubeObject(try JSONValue(encoding: request)) else { return next }
            _ = try await client.create(DeleteBackupRequest.resource, namespace: namespace, body)
        }
        return next
    }

    /// Sets (or with nil removes) the backup's `velero.io/gc-failure` label when it differs.
    private func setFailureLabel(_ value: String?, on object: KubeObject, namespace: String) async throws {
        guard object.labels[VeleroLabels.gcFailure] != value else { return }
        var object = object
        object.labels[VeleroLabels.gcFailure] = value
        do {
            _ = try await client.update(Backup.resource, namespace: namespace, object)
        } catch let error as KubeError where error.code == .conflict || error.code == .notFound {
            logger.debug("error updating backup labels: \(error)")
        }
    }
}
