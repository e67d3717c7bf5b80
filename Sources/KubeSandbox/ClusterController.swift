import Foundation
import Kubernetes
import Logging
import ServiceLifecycle
import Synchronization

/// The in-process controllers: namespace termination, garbage collection (background, foreground,
/// orphan), default ServiceAccounts, the scheduler, the volume provisioner/binder and the "kubelet" that
/// marks scheduled pods Running and lays out their volume paths, and the workload controllers (ReplicaSets,
/// Deployments). Driven by the store's change stream.
struct ClusterController: Service {
    static let storageClassName = "sandbox"
    static let provisioner = "sandbox.csi.lifeboat.io"
    /// Timed re-checks the controllers asked for (see ``recheck(_:_:at:)``).
    let wakeups = Wakeups()

    let core: SandboxCore
    let nodeCache = DecodedNodes()
    /// Runs the scheduled pods' containers.
    let kubelet: Kubelet

    init(core: SandboxCore) {
        self.core = core
        kubelet = Kubelet(core: core)
    }

    func run() async throws {
        await resync()
        // The stream is iterated directly (a graceful shutdown cancels the loop): a buffered event is then
        // taken without suspending, so a backlog of thousands of events (loads created in a burst) is worked
        // through in one go instead of one event per turn of the executor's whole queue, which held pods
        // Pending for seconds while a burst of objects was created.
        let stream = core.store.changeStream
        await withDiscardingTaskGroup { group in
            group.addTask { await deliverWakeups() }
            await cancelWhenGracefulShutdown {
                for await event in stream {
                    await handle(event)
                }
            }
            group.cancelAll()
        }
        // The stream also ends when the store closes at shutdown; a Service must not return before that.
        try? await gracefulShutdown()
    }

    /// Catches up after a restart (no events were seen for the replayed state).
    func resync() async {
        for (storageKey, key, object) in core.store.snapshot() {
            let kind: WatchEvent.Kind = .modified
            await handle(WatchEvent(kind: kind, storageKey: storageKey, key: key, object: object))
        }
    }

    func handle(_ event: WatchEvent) async {
        switch event.storageKey {
        case "namespaces":
            if event.kind == .added { await ensureDefaultServiceAccount(event.key.name) }
            if event.object.deleting && event.kind != .deleted { await finalizeNamespace(event.key.name) }
        case "pods":
            if event.kind == .deleted {
                removePodPaths(event)
            } else {
                await reconcilePod(event.key, event.object)
            }
        case "persistentvolumeclaims":
            if event.kind == .deleted {
                await releaseVolume(of: event)
            } else {
                await reconcileClaim(event.key, event.object, selectedNode: nil)
                await reconcileSnapshotsOfClaim(event.key)
            }
        case "persistentvolumes":
            if event.kind == .deleted {
                removeVolumeFolder(event.key.name)
            } else {
                await reconcileVolume(event.key)
            }
        case "customresourcedefinitions.apiextensions.k8s.io":
            if event.kind == .deleted { await deleteCustomResources(event) }
        case Self.volumeSnapshotsKey:
            if event.kind == .deleted {
                await deleteBoundContent(of: event)
            } else {
                await reconcileSnapshot(event.key)
            }
        case Self.volumeSnapshotContentsKey:
            if event.kind == .deleted {
                removeSnapshotCopy(of: event)
            } else {
                await reconcileContent(event.key)
            }
        default:
            break
        }
        await workloadEvent(event)
        if event.kind == .deleted {
            await collectDependents(of: event.object.uid)
            await releaseForegroundOwners(of: event.object)
            if !event.key.namespace.isEmpty,
                let namespace = core.store.get("namespaces", ObjectKey(namespace: "", name: event.key.namespace)),
                namespace.deleting
            {
                await finalizeNamespace(event.key.namespace)
            }
        } else if event.object.deleting {
            await processDeletingOwner(event)
        }
    }

    // MARK: - Helpers shared by the controllers

    func type(_ groupVersion: String, _ plural: String) -> ResourceType? {
        core.registry.lookup(groupVersion: groupVersion, plural: plural)
    }

    /// Every stored object of a collection (of one namespace, when given), in key order.
    func everything(in storageKey: String, namespace: String? = nil) -> [(ObjectKey, StoredObject)] {
        core.store.list(storageKey, namespace: namespace, after: nil, limit: nil, countRemaining: false) { _, _ in
            true
        }
        .items
    }

    func decode(_ storageKey: String, _ key: ObjectKey) -> (ResourceType, StoredObject, JSONValue)? {
        guard let type = core.type(storageKey: storageKey), let stored = core.store.get(storageKey, key),
            let object = try? stored.decode(type)
        else { return nil }
        return (type, stored, object)
    }

    func log(_ message: String, _ error: any Error) {
        core.logger.debug("\(message)", metadata: ["error": "\(error)"])
    }

    // MARK: - Namespaces

    private func ensureDefaultServiceAccount(_ namespace: String) async {
        guard let type = type("v1", "serviceaccounts"),
            core.store.get(type.storageKey, ObjectKey(namespace: namespace, name: "default")) == nil
        else { return }
        _ = try? await core.create(
            type,
            namespace: namespace,
            object: ["metadata": ["name": "default"]],
            options: .system
        )
    }

    /// Deletes a terminating namespace's contents; removes the namespace once they are gone.
    func finalizeNamespace(_ name: String) async {
        let contents = core.store.objects(inNamespace: name)
        for (storageKey, key, object) in contents where !object.deleting {
            guard let type = core.type(storageKey: storageKey) else { continue }
            _ = try? await core.delete(type, namespace: key.namespace, name: key.name, options: DeleteOptions())
        }
        guard core.store.objects(inNamespace: name).isEmpty,
            let namespaceType = type("v1", "namespaces"),
            let stored = core.store.get("namespaces", ObjectKey(namespace: "", name: name)), stored.deleting
        else { return }
        _ = core.store.commit(
            namespaceType.storageKey,
            ObjectKey(namespace: "", name: name),
            .delete(expected: stored.resourceVersion),
            namespaced: false
        )
    }

    // MARK: - Garbage collection

    private func collectDependents(of uid: String) async {
        guard !uid.isEmpty else { return }
        for ref in core.store.dependents(of: uid) {
            guard let stored = core.store.get(ref.storageKey, ref.key), !stored.deleting,
                let type = core.type(storageKey: ref.storageKey)
            else { continue }
            let liveOwners = stored.ownerUIDs.filter { $0 != uid && core.store.locate(uid: $0) != nil }
            if !liveOwners.isEmpty { continue }
            var options = DeleteOptions()
            options.propagation = .background
            _ = try? await core.delete(
                type,
                namespace: ref.key.namespace.isEmpty ? nil : ref.key.namespace,
                name: ref.key.name,
                options: options
            )
        }
    }

    /// Foreground deletion and orphaning of an owner that has deletionTimestamp set.
    private func processDeletingOwner(_ event: WatchEvent) async {
        let finalizers = event.object.finalizers
        if finalizers.contains("orphan") {
            for ref in core.store.dependents(of: event.object.uid) {
                await editObject(ref.storageKey, ref.key) { object in
                    let owners = object["metadata"]?["ownerReferences"]?.arrayValue ?? []
                    let kept = owners.filter { $0["uid"]?.stringValue != event.object.uid }
                    object[path: ["metadata", "ownerReferences"]] = kept.isEmpty ? nil : .array(kept)
                }
            }
            await removeFinalizer("orphan", event.storageKey, event.key)
        } else if finalizers.contains("foregroundDeletion") {
            let dependents = core.store.dependents(of: event.object.uid)
            if dependents.isEmpty {
                await removeFinalizer("foregroundDeletion", event.storageKey, event.key)
                return
            }
            for ref in dependents {
                guard let stored = core.store.get(ref.storageKey, ref.key), !stored.deleting,
                    let type = core.type(storageKey: ref.storageKey)
                else { continue }
                var options = DeleteOptions()
                options.propagation = .foreground
                _ = try? await core.delete(
                    type,
                    namespace: ref.key.namespace.isEmpty ? nil : ref.key.namespace,
                    name: ref.key.name,
                    options: options
                )
            }
        }
    }

    private func releaseForegroundOwners(of object: StoredObject) async {
        for uid in object.ownerUIDs {
            guard let ref = core.store.locate(uid: uid), let owner = core.store.get(ref.storageKey, ref.key),
                owner.deleting, owner.finalizers.contains("foregroundDeletion"),
                core.store.dependents(of: uid).isEmpty
            else { continue }
            await removeFinalizer("foregroundDeletion", ref.storageKey, ref.key)
        }
    }

    private func removeFinalizer(_ finalizer: String, _ storageKey: String, _ key: ObjectKey) async {
        await editObject(storageKey, key) { object in
            let remaining = (object["metadata"]?["finalizers"]?.arrayValue ?? []).filter { $0.stringValue != finalizer }
            object[path: ["metadata", "finalizers"]] = remaining.isEmpty ? nil : .array(remaining)
        }
    }

    /// Read-modify-write of an object through the API semantics (main endpoint), retrying on conflicts.
    func editObject(
        _ storageKey: String,
        _ key: ObjectKey,
        subresource: String? = nil,
        _ change: (inout JSONValue) -> Void
    )
        async
    {
        for _ in 0..<5 {
            guard case let (type, stored, object)? = decode(storageKey, key) else { return }
            var changed = object
            change(&changed)
            if SandboxCore.sameContent(object, changed) { return }
            do {
                if let _ = try await core.replace(
                    type,
                    key,
                    existing: stored,
                    old: object,
                    new: changed,
                    subresource: subresource,
                    expected: stored.resourceVersion,
                    options: .system,
                    operation: "Update"
                ) {
                    return
                }
            } catch {
                log("controller write failed", error)
                return
            }
        }
    }

    static let volumeSnapshotsKey = "volumesnapshots.snapshot.storage.k8s.io"
    static let volumeSnapshotContentsKey = "volumesnapshotcontents.snapshot.storage.k8s.io"

    /// The snapshot controller's part the sandbox plays: a deleted VolumeSnapshot takes its bound
    /// VolumeSnapshotContent with it when the content's `deletionPolicy` is `Delete` (a `Retain` content
    /// stays); the content must point back at that snapshot (`spec.volumeSnapshotRef`, UID when both have one).
    private func deleteBoundContent(of event: WatchEvent) async {
        guard let snapshot = try? JSONValue(parsing: event.object.body),
            let name = snapshot["status"]?["boundVolumeSnapshotContentName"]?.stringValue
                ?? snapshot["spec"]?["source"]?["volumeSnapshotContentName"]?.stringValue,
            case let (contentType, _, content)? = decode(
                Self.volumeSnapshotContentsKey,
                ObjectKey(namespace: "", name: name)
            ),
            content["spec"]?["deletionPolicy"]?.stringValue == "Delete"
        else { return }
        let ref = content["spec"]?["volumeSnapshotRef"]
        guard ref?["name"]?.stringValue == event.key.name, ref?["namespace"]?.stringValue == event.key.namespace else {
            return
        }
        if let uid = ref?["uid"]?.stringValue, !uid.isEmpty, !event.object.uid.isEmpty, uid != event.object.uid {
            return
        }
        do {
            _ = try await core.delete(contentType, namespace: nil, name: name, options: DeleteOptions())
        } catch {
            log("deleting a volume snapshot content failed", error)
        }
    }

    private func deleteCustomResources(_ event: WatchEvent) async {
        guard let crd = try? JSONValue(parsing: event.object.body),
            let group = crd["spec"]?["group"]?.stringValue, let plural = crd["spec"]?["names"]?["plural"]?.stringValue
        else { return }
        let storageKey = "\(plural).\(group)"
        for (key, _) in everything(in: storageKey) {
            _ = core.store.commit(storageKey, key, .delete(expected: nil), namespaced: !key.namespace.isEmpty)
        }
    }
}

/// The scheduler's decoded nodes, kept while the nodes' resourceVersions stay the same.
final class DecodedNodes: Sendable {
    private let state = Mutex<(versions: [Int64], nodes: [JSONValue])>(([], []))

    /// The decoded nodes for `versions` (the nodes' resourceVersions in list order), decoding with `decode`
    /// only when they changed.
    func nodes(versions: [Int64], decode: () -> [JSONValue]) -> [JSONValue] {
        if let cached = state.withLock({ $0.versions == versions ? $0.nodes : nil }) { return cached }
        let decoded = decode()
        state.withLock { $0 = (versions, decoded) }
        return decoded
    }
}
