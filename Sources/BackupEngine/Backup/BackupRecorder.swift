import Foundation
import Kubernetes
import Logging
import VeleroAPI

/// Records a direct-mode run as a velero.io CR in the cluster (when the CRDs are installed), so
/// `kubectl get backups -n velero` shows it moving New → InProgress → Completed.
///
/// Recording is best effort: a failure to record never fails the backup itself, but a CR that
/// already exists with the same name does (it would be overwritten otherwise).
struct CRRecorder: Sendable {
    let client: KubeClient
    let resource: GroupVersionResource
    let namespace: String
    let logger: Logger

    /// A recorder for `resource` (e.g. `backups`), or `nil` when the velero.io CRD is not installed.
    static func make(
        client: KubeClient,
        resource gvr: GroupVersionResource,
        namespace: String,
        logger: Logger
    ) async -> CRRecorder? {
        guard let discovery = try? await client.discovery(), discovery.resource(for: gvr) != nil else { return nil }
        return CRRecorder(client: client, resource: gvr, namespace: namespace, logger: logger)
    }

    /// Creates the CR, replacing a `Failed` one of the same name (what an interrupted or failed run of the
    /// name left: the caller has checked that the storage location holds nothing of that name).
    /// - Returns: the created object's UID (nil when it could not be recorded).
    /// - Throws: `.alreadyExists` when a CR of that name in another phase is already in the cluster.
    ///
    /// With `adopt`, a CR of that name that is `New` (or has no phase yet) is taken over instead: one created by
    /// `kubectl apply` or a Schedule for the server to run. Its metadata and spec are replaced by `value`'s with
    /// an update carrying the read resourceVersion, so of two servers only one takes it.
    @discardableResult
    func create(_ value: some Encodable & Sendable, name: String, adopt: Bool = false) async throws -> String? {
        do {
            guard var object = KubeObject(try JSONValue(encoding: value)) else { return nil }
            object.namespace = namespace
            // The status goes with the create: on Velero's CRDs (no status subresource) the CR never exists
            // without its phase, so no server's queue or controller takes a run of this process for a new one.
            // Where a status subresource drops it, it is written right after.
            let status = object.status
            var created: KubeObject
            // An adopted CR keeps its phase until the run writes its own: a `New` written in between would send
            // it back to the queue.
            var adopted = false
            do {
                created = try await client.create(resource, namespace: namespace, object)
            } catch let error as KubeError where error.code == .alreadyExists && adopt {
                var existing = try await client.get(resource, namespace: namespace, name: name)
                let phase = existing["status"]?["phase"]?.stringValue ?? ""
                // A server's Backup comes from its queue `ReadyToStart` (Velero 1.18), a Restore `New`.
                guard phase.isEmpty || phase == "New" || phase == "ReadyToStart" else { throw error }
                adopted = true
                existing.value["spec"] = object.value["spec"]
                existing.value[path: ["metadata", "labels"]] = object.value[path: ["metadata", "labels"]]
                do {
                    created = try await client.update(resource, namespace: namespace, existing)
                } catch let conflict as KubeError where conflict.code == .conflict {
                    throw KubeError(code: .alreadyExists, message: "taken over by another run")
                }
            } catch let error as KubeError where error.code == .alreadyExists {
                let existing = try? await client.get(resource, namespace: namespace, name: name)
                guard existing?["status"]?["phase"]?.stringValue == "Failed" else { throw error }
                logger.info("replacing the Failed \(resource.resource) \(namespace)/\(name) of an earlier run")
                _ = try await client.delete(resource, namespace: namespace, name: name)
                created = try await client.create(resource, namespace: namespace, object)
            }
            if let status, !adopted {
                created.status = status
                _ = try await client.writeStatus(resource, namespace: namespace, created)
            }
            return created.uid
        } catch let error as KubeError where error.code == .alreadyExists {
            throw BackupEngineError(
                code: .alreadyExists,
                message: "\(resource.resource) \(namespace)/\(name) already exists in the cluster"
            )
        } catch {
            logger.info("could not record \(resource.resource) \(name) in the cluster: \(error)")
            return nil
        }
    }

    /// Replaces the CR's status with `value`'s, retrying on conflicts.
    func updateStatus(_ value: some Encodable & Sendable, name: String) async {
        for _ in 0..<5 {
            do {
                guard let desired = KubeObject(try JSONValue(encoding: value)) else { return }
                var live = try await client.get(resource, namespace: namespace, name: name)
                live.status = desired.status
                _ = try await client.writeStatus(resource, namespace: namespace, live)
                return
            } catch let error as KubeError where error.code == .conflict {
                continue
            } catch {
                logger.info("could not update \(resource.resource) \(name) in the cluster: \(error)")
                return
            }
        }
    }

}

/// The Backup CR of a direct-mode backup.
struct BackupRecorder: Sendable {
    let recorder: CRRecorder

    static func make(client: KubeClient, namespace: String, logger: Logger) async -> BackupRecorder? {
        await CRRecorder.make(client: client, resource: Backup.resource, namespace: namespace, logger: logger)
            .map(BackupRecorder.init)
    }

    /// Records the start of the run (`adopt`: take over a `New` Backup CR of that name, see ``CRRecorder``).
    func start(_ backup: inout Backup, adopt: Bool = false) async throws {
        var labels = backup.metadata.labels ?? [:]
        if labels[VeleroLabels.storageLocation] == nil, let location = backup.spec.storageLocation {
            labels[VeleroLabels.storageLocation] = location
        }
        backup.metadata.labels = labels.isEmpty ? nil : labels
        // Recorded `InProgress` from the start (a `New` one is a request for a server to run).
        // The UID names the Backup as owner of its PodVolumeBackups (and labels them).
        if let uid = try await recorder.create(backup, name: backup.name, adopt: adopt) { backup.metadata.uid = uid }
        await recorder.updateStatus(backup, name: backup.name)
    }

    func finish(_ backup: Backup) async {
        await recorder.updateStatus(backup, name: backup.name)
    }
}
