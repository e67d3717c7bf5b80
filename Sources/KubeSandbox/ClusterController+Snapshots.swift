import Foundation
import Kubernetes

/// The external snapshotter's part the sandbox plays (snapshot-controller and csi-snapshotter for the sandbox's
/// CSI driver): a VolumeSnapshot of a bound claim gets a VolumeSnapshotContent `snapcontent-<snapshot uid>` whose
/// snapshot is a copy of the volume folder taken at that moment (`<volumesRoot>/snapshots/snapshot-<uid>`); a
/// pre-provisioned content (`source.snapshotHandle`) is marked ready; a claim with a VolumeSnapshot `dataSource`
/// is provisioned with a copy of the snapshot; a deleted content with `deletionPolicy: Delete` removes its copy.
extension ClusterController {
    static let snapshotClassName = "sandbox-snapclass"
    static let snapshotGroup = "snapshot.storage.k8s.io"
    static let volumeSnapshotClassesKey = "volumesnapshotclasses.snapshot.storage.k8s.io"

    /// What the snapshot controller does next with a VolumeSnapshot.
    enum SnapshotStep: Equatable {
        /// Ready (or being deleted): nothing to do.
        case done
        /// Bind to the pre-provisioned content of that name and take its status.
        case bindContent(String)
        /// Take a snapshot of the volume bound to the claim.
        case take(volume: String, capacity: String?)
        /// Record the error in the snapshot's status and wait.
        case fail(String)
    }

    /// The next step for `snapshot` given its source claim (`nil`: no such claim), as the snapshot controller
    /// decides it: a claim that does not exist or is not bound yet is an error in the status, retried later.
    static func snapshotStep(_ snapshot: JSONValue, claim: JSONValue?) -> SnapshotStep {
        if snapshot["status"]?["readyToUse"]?.boolValue == true { return .done }
        let source = snapshot["spec"]?["source"]
        if let content = source?["volumeSnapshotContentName"]?.stringValue, !content.isEmpty {
            return .bindContent(content)
        }
        guard let claimName = source?["persistentVolumeClaimName"]?.stringValue, !claimName.isEmpty else {
            return .fail("spec.source names neither a persistentVolumeClaimName nor a volumeSnapshotContentName")
        }
        guard let claim else {
            return .fail(
                "failed to retrieve PVC \(claimName) from the lister: persistentvolumeclaim \"\(claimName)\" not found"
            )
        }
        guard claim["status"]?["phase"]?.stringValue == "Bound",
            let volume = claim["spec"]?["volumeName"]?.stringValue, !volume.isEmpty
        else {
            return .fail("the PVC \(claimName) is not yet bound to a PV, will not attempt to take a snapshot")
        }
        return .take(volume: volume, capacity: claim["status"]?["capacity"]?["storage"]?.stringValue)
    }

    /// The VolumeSnapshot a claim restores from (`dataSourceRef`, else `dataSource`), if any.
    static func snapshotSource(of claim: JSONValue) -> String? {
        for field in ["dataSourceRef", "dataSource"] {
            guard let source = claim["spec"]?[field], source["kind"]?.stringValue == "VolumeSnapshot",
                source["apiGroup"]?.stringValue == snapshotGroup, let name = source["name"]?.stringValue, !name.isEmpty
            else { continue }
            return name
        }
        return nil
    }

    /// Whether a snapshot handle is one of the sandbox's copies (a single path component it made).
    static func isSandboxHandle(_ handle: String) -> Bool {
        handle.hasPrefix("snapshot-") && !handle.contains("/") && !handle.contains("..")
    }

    /// The folder holding the copy a snapshot handle names.
    func snapshotFolder(_ handle: String) -> URL {
        core.volumesRoot.appendingPathComponent("snapshots/\(handle)")
    }

    // MARK: - Reconciling

    /// Drives a VolumeSnapshot one step (see ``snapshotStep(_:claim:)``).
    func reconcileSnapshot(_ key: ObjectKey) async {
        guard case let (_, stored, snapshot)? = decode(Self.volumeSnapshotsKey, key), !stored.deleting else { return }
        let claimName = snapshot["spec"]?["source"]?["persistentVolumeClaimName"]?.stringValue ?? ""
        let claim =
            claimName.isEmpty
            ? nil : decode("persistentvolumeclaims", ObjectKey(namespace: key.namespace, name: claimName))?.2
        switch Self.snapshotStep(snapshot, claim: claim) {
        case .done:
            return
        case .fail(let message):
            await recordSnapshotError(key, message)
        case .bindContent(let name):
            await bindPreProvisioned(key, content: name)
        case .take(let volume, let capacity):
            await takeSnapshot(key, uid: stored.uid, snapshot: snapshot, volume: volume, capacity: capacity)
        }
    }

    /// A content changed: a pre-provisioned one is marked ready, and the snapshot it names is reconciled.
    func reconcileContent(_ key: ObjectKey) async {
        guard case let (_, stored, content)? = decode(Self.volumeSnapshotContentsKey, key), !stored.deleting else {
            return
        }
        if let handle = content["spec"]?["source"]?["snapshotHandle"]?.stringValue,
            content["status"]?["readyToUse"]?.boolValue != true,
            content["spec"]?["driver"]?.stringValue == Self.provisioner
        {
            let size = Self.isSandboxHandle(handle) ? folderSize(snapshotFolder(handle)) : nil
            await editObject(Self.volumeSnapshotContentsKey, key, subresource: "status") { object in
                var status: JSONObject = [
                    "snapshotHandle": .string(handle), "readyToUse": true,
                    "creationTime": .int(Self.nanoseconds(Date())),
                ]
                if let size { status["restoreSize"] = .int(size) }
                object["status"] = .object(status)
            }
        }
        guard let ref = content["spec"]?["volumeSnapshotRef"], let namespace = ref["namespace"]?.stringValue,
            let name = ref["name"]?.stringValue
        else { return }
        await reconcileSnapshot(ObjectKey(namespace: namespace, name: name))
    }

    /// A claim changed: the snapshots of it that are not ready yet are tried again (it may be bound now).
    func reconcileSnapshotsOfClaim(_ key: ObjectKey) async {
        guard let snapshotType = core.type(storageKey: Self.volumeSnapshotsKey) else { return }
        for (snapshotKey, stored) in everything(in: Self.volumeSnapshotsKey, namespace: key.namespace) {
            guard let snapshot = try? stored.decode(snapshotType),
                snapshot["spec"]?["source"]?["persistentVolumeClaimName"]?.stringValue == key.name,
                snapshot["status"]?["readyToUse"]?.boolValue != true
            else { continue }
            await reconcileSnapshot(snapshotKey)
        }
    }

    /// A snapshot became ready: claims restoring from it (and the pods using them) are tried again.
    private func reconcileRestoringClaims(namespace: String, snapshot: String) async {
        guard let claimType = type("v1", "persistentvolumeclaims") else { return }
        var waiting: Set<String> = []
        for (key, stored) in everything(in: claimType.storageKey, namespace: namespace) {
            guard let claim = try? stored.decode(claimType), Self.snapshotSource(of: claim) == snapshot,
                claim["status"]?["phase"]?.stringValue != "Bound"
            else { continue }
            waiting.insert(key.name)
            await reconcileClaim(key, stored, selectedNode: nil)
        }
        guard !waiting.isEmpty, let podType = type("v1", "pods") else { return }
        for (key, stored) in everything(in: podType.storageKey, namespace: namespace) {
            guard let pod = try? stored.decode(podType), pod["status"]?["phase"]?.stringValue != "Running" else {
                continue
            }
            let claims = (pod["spec"]?["volumes"]?.arrayValue ?? []).compactMap {
                $0["persistentVolumeClaim"]?["claimName"]?.stringValue
            }
            if claims.contains(where: waiting.contains) { await reconcilePod(key, stored) }
        }
    }

    private func recordSnapshotError(_ key: ObjectKey, _ message: String) async {
        await editObject(Self.volumeSnapshotsKey, key, subresource: "status") { object in
            if object["status"]?["error"]?["message"]?.stringValue == message { return }
            var status = object["status"]?.objectValue ?? [:]
            status["readyToUse"] = false
            status["error"] = ["message": .string(message), "time": .string(SandboxCore.timestamp())]
            object["status"] = .object(status)
        }
    }

    private func bindPreProvisioned(_ key: ObjectKey, content name: String) async {
        guard case let (_, _, content)? = decode(Self.volumeSnapshotContentsKey, ObjectKey(namespace: "", name: name))
        else {
            await recordSnapshotError(key, "VolumeSnapshotContent \(name) not found")
            return
        }
        let ref = content["spec"]?["volumeSnapshotRef"]
        guard ref?["name"]?.stringValue == key.name, ref?["namespace"]?.stringValue == key.namespace else {
            await recordSnapshotError(key, "VolumeSnapshotContent \(name) is bound to another snapshot")
            return
        }
        guard content["status"]?["readyToUse"]?.boolValue == true else { return }  // its reconcile comes back here
        await markReady(key, contentName: name, content: content)
    }

    private func takeSnapshot(
        _ key: ObjectKey,
        uid: String,
        snapshot: JSONValue,
        volume: String,
        capacity: String?
    ) async {
        guard let contentType = type("snapshot.storage.k8s.io/v1", "volumesnapshotcontents") else { return }
        let className = snapshot["spec"]?["volumeSnapshotClassName"]?.stringValue ?? Self.snapshotClassName
        guard
            case let (_, _, snapshotClass)? = decode(
                Self.volumeSnapshotClassesKey,
                ObjectKey(namespace: "", name: className)
            )
        else {
            await recordSnapshotError(
                key,
                "failed to get snapshot class with error volumesnapshotclass \"\(className)\" not found"
            )
            return
        }
        let contentName = "snapcontent-\(uid)"
        let contentKey = ObjectKey(namespace: "", name: contentName)
        let handle = "snapshot-\(uid)"
        let folder = snapshotFolder(handle)
        if !FileManager.default.fileExists(atPath: folder.path) {
            do {
                try copyTree(volumeFolder(volume), to: folder)
            } catch {
                await recordSnapshotError(key, "failed to take snapshot of the volume \(volume): \(error)")
                return
            }
        }
        if core.store.get(contentType.storageKey, contentKey) == nil {
            let volumeHandle =
                decode("persistentvolumes", ObjectKey(namespace: "", name: volume))?.2["spec"]?["csi"]?[
                    "volumeHandle"
                ]?.stringValue ?? volume
            let content: JSONValue = [
                "metadata": ["name": .string(contentName)],
                "spec": [
                    "deletionPolicy": snapshotClass["deletionPolicy"] ?? "Delete",
                    "driver": snapshotClass["driver"] ?? .string(Self.provisioner),
                    "source": ["volumeHandle": .string(volumeHandle)],
                    "volumeSnapshotClassName": .string(className),
                    "volumeSnapshotRef": [
                        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                        "name": .string(key.name), "namespace": .string(key.namespace), "uid": .string(uid),
                    ],
                ],
            ]
            do { _ = try await core.create(contentType, namespace: nil, object: content, options: .system) } catch {
                log("creating a volume snapshot content failed", error)
                return
            }
        }
        let bytes = capacity.flatMap { try? Quantity(parsing: $0) }?.value ?? folderSize(folder) ?? 0
        await editObject(contentType.storageKey, contentKey, subresource: "status") { object in
            if object["status"]?["readyToUse"]?.boolValue == true { return }
            object["status"] = [
                "snapshotHandle": .string(handle), "readyToUse": true, "restoreSize": .int(bytes),
                "creationTime": .int(Self.nanoseconds(Date())),
            ]
        }
        guard case let (_, _, content)? = decode(contentType.storageKey, contentKey) else { return }
        await markReady(key, contentName: contentName, content: content)
    }

    /// The snapshot's status from its ready content.
    private func markReady(_ key: ObjectKey, contentName: String, content: JSONValue) async {
        let created = content["status"]?["creationTime"]?.intValue.map {
            SandboxCore.timestamp(Date(timeIntervalSince1970: Double($0) / 1e9))
        }
        let restoreSize = content["status"]?["restoreSize"]?.intValue.map { Quantity($0, format: .binarySI) }
        await editObject(Self.volumeSnapshotsKey, key, subresource: "status") { object in
            var status: JSONObject = [
                "boundVolumeSnapshotContentName": .string(contentName), "readyToUse": true,
                "creationTime": .string(created ?? SandboxCore.timestamp()),
            ]
            if let restoreSize { status["restoreSize"] = restoreSize.jsonValue }
            object["status"] = .object(status)
        }
        await reconcileRestoringClaims(namespace: key.namespace, snapshot: key.name)
    }

    /// The snapshot handle a claim restores from: `.some(nil)` while its snapshot is not ready (the claim
    /// waits), `nil` when it restores from no snapshot or from one that does not exist (unlike a real
    /// provisioner, which waits for it).
    func restoreHandle(for claim: JSONValue, namespace: String) -> String?? {
        guard let name = Self.snapshotSource(of: claim),
            case let (_, _, snapshot)? = decode(Self.volumeSnapshotsKey, ObjectKey(namespace: namespace, name: name))
        else { return nil }  // no such snapshot: an empty volume, as before (the node agent's tests rely on it)
        guard snapshot["status"]?["readyToUse"]?.boolValue == true,
            let contentName = snapshot["status"]?["boundVolumeSnapshotContentName"]?.stringValue,
            case let (_, _, content)? = decode(
                Self.volumeSnapshotContentsKey,
                ObjectKey(namespace: "", name: contentName)
            ),
            let handle = content["status"]?["snapshotHandle"]?.stringValue
                ?? content["spec"]?["source"]?["snapshotHandle"]?.stringValue
        else { return .some(nil) }
        return .some(handle)
    }

    /// Fills a new volume folder with the snapshot's copy (a handle that is not one of the sandbox's copies
    /// restores an empty volume).
    func restore(handle: String, into folder: URL) {
        guard Self.isSandboxHandle(handle) else { return }
        let source = snapshotFolder(handle)
        guard FileManager.default.fileExists(atPath: source.path) else { return }
        do {
            try? FileManager.default.removeItem(at: folder)
            try copyTree(source, to: folder)
        } catch {
            log("restoring a volume from a snapshot failed", error)
        }
    }

    /// A deleted content with `deletionPolicy: Delete` removes the copy its handle names.
    func removeSnapshotCopy(of event: WatchEvent) {
        guard let content = try? JSONValue(parsing: event.object.body),
            content["spec"]?["deletionPolicy"]?.stringValue == "Delete",
            let handle = content["status"]?["snapshotHandle"]?.stringValue
                ?? content["spec"]?["source"]?["snapshotHandle"]?.stringValue,
            Self.isSandboxHandle(handle)
        else { return }
        try? FileManager.default.removeItem(at: snapshotFolder(handle))
    }

    // MARK: - Files

    /// Copies a folder tree (modes, symlinks as links) to `destination` through a temporary sibling, so a
    /// half-made copy is never seen under the final name.
    private func copyTree(_ source: URL, to destination: URL) throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let partial = destination.deletingLastPathComponent().appendingPathComponent(
            ".partial-\(destination.lastPathComponent)-\(UUID().uuidString)"
        )
        if fileManager.fileExists(atPath: source.path) {
            try fileManager.copyItem(at: source, to: partial)
        } else {
            try fileManager.createDirectory(at: partial, withIntermediateDirectories: true)
        }
        try fileManager.moveItem(at: partial, to: destination)
    }

    /// The total size of the regular files under a folder, if it exists.
    private func folderSize(_ folder: URL) -> Int64? {
        let fileManager = FileManager.default
        guard let paths = fileManager.subpaths(atPath: folder.path) else { return nil }
        var total: Int64 = 0
        for path in paths {
            guard let attributes = try? fileManager.attributesOfItem(atPath: folder.path + "/" + path),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            total += (attributes[.size] as? NSNumber)?.int64Value ?? 0
        }
        return total
    }

    /// A content's `creationTime`: nanoseconds since the epoch.
    static func nanoseconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970 * 1e9)
    }
}
