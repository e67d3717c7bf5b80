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
                if existing.deleting && finalizers == existing.finalizers {
                    return WriteResult(status: 200, body: .json(object))
                }
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
