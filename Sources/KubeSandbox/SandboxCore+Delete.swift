import Foundation
import Kubernetes

/// Options of a DELETE (body `DeleteOptions` and/or query parameters).
struct DeleteOptions: Sendable {
    enum Propagation: String, Sendable {
        case background = "Background"
        case foreground = "Foreground"
        case orphan = "Orphan"
    }

    var propagation: Propagation?
    var preconditionUID: String?
    var preconditionResourceVersion: String?
    var dryRun = false
    /// `gracePeriodSeconds` (body or query): for a pod, how long its containers get to stop (0 = at once).
    var gracePeriodSeconds: Int64?

    init() {}

    /// Reads a `DeleteOptions` body and the query (query wins).
    init(body: JSONValue?, query: [String: String]) throws(APIStatus) {
        if let body {
            if let policy = body["propagationPolicy"]?.stringValue {
                guard let value = Propagation(rawValue: policy) else {
                    throw APIStatus.badRequest("propagationPolicy: Unsupported value: \"\(policy)\"")
                }
                propagation = value
            } else if body["orphanDependents"]?.boolValue == true {
                propagation = .orphan
            }
            preconditionUID = body["preconditions"]?["uid"]?.stringValue
            preconditionResourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
            dryRun = (body["dryRun"]?.arrayValue ?? []).contains("All")
            gracePeriodSeconds = body["gracePeriodSeconds"]?.intValue
        }
        if let text = query["gracePeriodSeconds"] {
            guard let value = Int64(text) else {
                throw APIStatus.badRequest("gracePeriodSeconds: Invalid value: \"\(text)\"")
            }
            gracePeriodSeconds = value
        }
        if let policy = query["propagationPolicy"] {
            guard let value = Propagation(rawValue: policy) else {
                throw APIStatus.badRequest("propagationPolicy: Unsupported value: \"\(policy)\"")
            }
            propagation = value
        }
        if query["dryRun"] == "All" { dryRun = true }
    }
}

extension SandboxCore {
    /// Deletes an object: immediately, or by setting deletionTimestamp when finalizers (or foreground
    /// deletion, or namespace termination) have work to do.
    func delete(
        _ type: ResourceType,
        namespace: String?,
        name: String,
        options: DeleteOptions
    )
        async throws(APIStatus) -> WriteResult
    {
        let key = ObjectKey(namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        while true {
            guard let existing = store.get(type.storageKey, key) else { throw APIStatus.notFound(type, name: name) }
            if let uid = options.preconditionUID, uid != existing.uid {
                throw APIStatus.preconditionFailed(type, name: name, field: "UID", want: uid, have: existing.uid)
            }
            if let version = options.preconditionResourceVersion, version != String(existing.resourceVersion) {
                throw APIStatus.preconditionFailed(
                    type,
                    name: name,
                    field: "ResourceVersion",
                    want: version,
                    have: String(existing.resourceVersion)
                )
            }
            let isNamespace = type.group.isEmpty && type.plural == "namespaces"
            if type.group.isEmpty && type.plural == "pods",
                let result = try await deletePodGracefully(type, key, existing: existing, options: options)
            {
                if case .conflict = result { continue }
                if case .done(let write) = result { return write }
            }
            var finalizers = existing.finalizers
            if options.propagation == .foreground && !finalizers.contains("foregroundDeletion") {
                finalizers.append("foregroundDeletion")
            }
            if options.propagation == .orphan && !finalizers.contains("orphan") && !existing.deleting {
                finalizers.append("orphan")
            }
            let graceful = isNamespace || !finalizers.isEmpty
            if graceful {
                var object = try decodeStored(existing, type)
                // The kubelet's final delete (grace 0) of a pod whose finalizers still hold it.
                let shorten =
                    options.gracePeriodSeconds == 0
                    && (object["metadata"]?["deletionGracePeriodSeconds"]?.intValue ?? 0) > 0
                if existing.deleting && finalizers == existing.finalizers && !shorten {
                    return WriteResult(status: 200, body: .json(object))
                }
                if shorten { object[path: ["metadata", "deletionGracePeriodSeconds"]] = 0 }
                if object["metadata"]?["deletionTimestamp"] == nil {
                    object[path: ["metadata", "deletionTimestamp"]] = .string(Self.timestamp())
                    object[path: ["metadata", "deletionGracePeriodSeconds"]] = 0
                }
                object[path: ["metadata", "finalizers"]] =
                    finalizers.isEmpty ? nil : .array(finalizers.map { .string($0) })
                if isNamespace { object[path: ["status", "phase"]] = "Terminating" }
                if options.dryRun { return WriteResult(status: 200, body: .json(object)) }
                switch store.commit(
                    type.storageKey,
                    key,
                    .update(PreparedObject(object), expected: existing.resourceVersion),
                    namespaced: type.namespaced
                )
                {
                case .success(let (stored, sequence)):
                    try await durable(sequence)
                    afterWrite(type, stored: stored)
                    return WriteResult(status: 200, body: .bytes(stored.fullJSON(type)))
                case .failure(.conflict): continue
                case .failure(let refusal): throw refusal.status(type, name: name)
                }
            }
            if options.dryRun { return WriteResult(status: 200, body: .json(deleteStatus(type, name, existing))) }
            switch store.commit(
                type.storageKey,
                key,
                .delete(expected: existing.resourceVersion),
                namespaced: type.namespaced
            )
            {
            case .success(let (stored, sequence)):
                try await durable(sequence)
                afterWrite(type, stored: stored, deleted: true)
                if type.deleteReturnsObject { return WriteResult(status: 200, body: .bytes(stored.fullJSON(type))) }
                return WriteResult(status: 200, body: .json(deleteStatus(type, name, existing)))
            case .failure(.conflict): continue
            case .failure(let refusal): throw refusal.status(type, name: name)
            }
        }
    }

    private enum GracefulResult {
        case done(WriteResult)
        case conflict
    }

    /// kube-apiserver's graceful pod deletion: a pod bound to a node and not terminal is only marked
    /// (`deletionTimestamp` = now + grace, `deletionGracePeriodSeconds` = grace, the grace from the options, else
    /// the pod's `terminationGracePeriodSeconds`, else 30); its kubelet stops the containers and then deletes it
    /// with grace 0. nil when the pod is deleted at once (no node, terminal, grace 0).
    private func deletePodGracefully(
        _ type: ResourceType,
        _ key: ObjectKey,
        existing: StoredObject,
        options: DeleteOptions
    ) async throws(APIStatus) -> GracefulResult? {
        var object = try decodeStored(existing, type)
        let node = object["spec"]?["nodeName"]?.stringValue ?? ""
        let phase = object["status"]?["phase"]?.stringValue ?? ""
        let grace = max(
            0,
            options.gracePeriodSeconds ?? object["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30
        )
        guard !node.isEmpty, phase != "Succeeded", phase != "Failed", grace > 0 else { return nil }
        if existing.deleting,
            let current = object["metadata"]?["deletionGracePeriodSeconds"]?.intValue, current <= grace
        {
            return .done(WriteResult(status: 200, body: .json(object)))
        }
        object[path: ["metadata", "deletionTimestamp"]] = .string(
            Self.timestamp(Date().addingTimeInterval(TimeInterval(grace)))
        )
        object[path: ["metadata", "deletionGracePeriodSeconds"]] = .int(grace)
        if options.propagation == .foreground {
            var finalizers = existing.finalizers
            if !finalizers.contains("foregroundDeletion") { finalizers.append("foregroundDeletion") }
            object[path: ["metadata", "finalizers"]] = .array(finalizers.map { .string($0) })
        }
        if options.dryRun { return .done(WriteResult(status: 200, body: .json(object))) }
        switch store.commit(
            type.storageKey,
            key,
            .update(PreparedObject(object), expected: existing.resourceVersion),
            namespaced: type.namespaced
        ) {
        case .success(let (stored, sequence)):
            try await durable(sequence)
            return .done(WriteResult(status: 200, body: .bytes(stored.fullJSON(type))))
        case .failure(.conflict): return .conflict
        case .failure(let refusal): throw refusal.status(type, name: key.name)
        }
    }

    private func deleteStatus(_ type: ResourceType, _ name: String, _ object: StoredObject) -> JSONValue {
        var details = APIStatus.detailsFor(type, name: name)
        details["uid"] = .string(object.uid)
        return [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": .object(details),
        ]
    }

    /// Hooks that follow a committed write: CRDs (un)register their resources.
    func afterWrite(_ type: ResourceType, stored: StoredObject, deleted: Bool = false) {
        guard type.group == "apiextensions.k8s.io" && type.plural == "customresourcedefinitions" else { return }
        guard let crd = try? JSONValue(parsing: stored.body) else { return }
        let name = crd["metadata"]?["name"]?.stringValue ?? ""
        if deleted {
            registry.uninstall(crdName: name)
        } else {
            registry.install(crd: crd)
        }
    }
}
