package import BackupEngine
package import Foundation
package import Kubernetes
package import Logging
import ObjectStorage
import VeleroAPI

/// The DownloadRequest controller's reconcile (Velero's `downloadRequestReconciler`): answers a new request with a
/// URL of the backup or restore file it names (a presigned GET for S3, a `file://` URL for a folder location), valid
/// for 10 minutes, and deletes requests once they expire. This is how the `velero` CLI's `backup logs`,
/// `backup describe --details` and `restore logs` read files without credentials for the bucket.
///
/// As in Velero, a new request always gets an `expiration` (so that one that cannot be answered is deleted in time),
/// a missing Restore, Backup or location ends the attempt (logged), and a URL that cannot be made is retried.
package struct DownloadRequestReconciler: Reconciler {
    let client: KubeClient
    let locations: StorageLocations
    let now: @Sendable () -> Date
    let logger: Logger

    package init(
        client: KubeClient,
        locations: StorageLocations,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.client = client
        self.locations = locations
        self.now = now
        self.logger = logger
    }

    package func reconcile(_ key: NamespacedName) async throws -> ReconcileResult {
        let namespace = key.namespace ?? ""
        guard let object = try await client.getIfPresent(DownloadRequest.resource, namespace: namespace, name: key.name)
        else { return .done }
        let request = try object.value.decode(as: DownloadRequest.self)
        let time = now()
        switch DownloadRequestStep.decide(request, now: time) {
        case .delete:
            logger.debug("DownloadRequest has expired - deleting", metadata: ["downloadRequest": "\(key)"])
            do {
                try await client.delete(DownloadRequest.resource, namespace: namespace, name: key.name)
            } catch let error as KubeError where error.code == .notFound {}
            return .done
        case .wait(let recheck):
            return recheck.map { ReconcileResult(requeueAfter: Self.delay(until: $0, from: time)) } ?? .done
        case .process:
            break
        }

        let target = request.spec.target
        let expiration = Timestamps.format(time.addingTimeInterval(Self.ttlSeconds))
        let answer: (url: String?, reason: String?)
        do {
            answer = try await url(of: target, namespace: namespace)
        } catch {
            // Retried with backoff; the expiration is written all the same (Velero patches it in a defer).
            logger.warning(
                "fail to get the download URL of \(target.kind) \(target.name), retry later: \(error)",
                metadata: ["downloadRequest": "\(key)"]
            )
            try await write(key, phase: nil, url: nil, expiration: expiration)
            throw error
        }
        guard let url = answer.url else {
            logger.error("\(answer.reason ?? "")", metadata: ["downloadRequest": "\(key)"])
            try await write(key, phase: nil, url: nil, expiration: expiration)
            return ReconcileResult(requeueAfter: DownloadRequestStep.urlTTL)
        }
        // The expiration starts again once the URL is made (Velero sets it a second time).
        let start = now()
        try await write(
            key,
            phase: "Processed",
            url: url,
            expiration: Timestamps.format(start.addingTimeInterval(Self.ttlSeconds))
        )
        return ReconcileResult(requeueAfter: DownloadRequestStep.urlTTL)
    }

    static let ttlSeconds = TimeInterval(DownloadRequestStep.urlTTL.components.seconds)

    /// The URL of `target`, or nil with the reason when what it names does not exist (not worth retrying).
    private func url(of target: DownloadRequest.Target, namespace: String) async throws -> (String?, String?) {
        var backupName = target.name
        if DownloadTargetKind.restoreTargets.contains(target.kind) {
            guard let restore = try await getIfPresent(Restore.resource, namespace: namespace, name: target.name)
            else { return (nil, "fail to get restore \(target.name) for DownloadRequest: not found") }
            backupName = restore["spec"]?["backupName"]?.stringValue ?? ""
        }
        guard let backup = try await getIfPresent(Backup.resource, namespace: namespace, name: backupName) else {
            return (nil, "fail to get backup \(backupName) for DownloadRequest: not found")
        }
        let locationName = backup["spec"]?["storageLocation"]?.stringValue ?? ""
        guard
            let locationObject = try await getIfPresent(
                BackupStorageLocation.resource,
                namespace: namespace,
                name: locationName
            )
        else { return (nil, "BSL \(locationName) for DownloadRequest cannot be found") }
        let location = try locationObject.value.decode(as: BackupStorageLocation.self)
        let store: BackupStore
        do {
            store = try await locations.store(for: location)
        } catch {
            // A location that cannot be used is a setting or credential problem: not retried (as Velero).
            return (nil, "Error getting a backup store: \(error)")
        }
        guard let objectKey = store.layout.downloadTarget(kind: target.kind, name: target.name) else {
            throw BackupEngineError(code: .invalidSpec, message: "unsupported download target kind \"\(target.kind)\"")
        }
        return (try await store.store.downloadURL(objectKey, validFor: DownloadRequestStep.urlTTL), nil)
    }

    /// The object, nil when it does not exist or has no name to look up.
    private func getIfPresent(
        _ resource: GroupVersionResource,
        namespace: String,
        name: String
    ) async throws -> KubeObject? {
        name.isEmpty ? nil : try await client.getIfPresent(resource, namespace: namespace, name: name)
    }

    /// Writes the request's status fields (a nil phase leaves the phase as it is).
    private func write(_ key: NamespacedName, phase: String?, url: String?, expiration: String) async throws {
        try await client.changeStatus(DownloadRequest.resource, namespace: key.namespace ?? "", name: key.name) {
            object in
            var status = object.value["status"]?.objectValue ?? [:]
            if let phase { status["phase"] = .string(phase) }
            if let url { status["downloadURL"] = .string(url) }
            status["expiration"] = .string(expiration)
            object.value["status"] = .object(status)
            return true
        }
    }

    static func delay(until date: Date, from now: Date) -> Duration {
        .milliseconds(max(0, Int64((date.timeIntervalSince(now) * 1000).rounded(.up))))
    }
}
