import Foundation
import Kubernetes

/// The patch types kube-apiserver accepts.
enum PatchType: String, Sendable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"
    case applyCBOR = "application/apply-patch+cbor"

    init?(contentType: String) {
        let base = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let type = PatchType(rawValue: base.lowercased()), type != .applyCBOR else { return nil }
        self = type
    }
}

extension SandboxCore {
    /// Replaces an object (PUT), or its status (PUT .../status).
    func update(
        _ type: ResourceType,
        namespace: String?,
        name: String,
        object input: JSONValue,
        subresource: String?,
        options: WriteOptions
    ) async throws(APIStatus) -> WriteResult {
        let new = try checkedBody(input, type: type, namespace: namespace, nameFromURL: name)
        let key = ObjectKey(namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        var clientVersion: Int64?
        if let text = new["metadata"]?["resourceVersion"]?.stringValue, !text.isEmpty {
            guard let value = Int64(text) else {
                throw APIStatus.badRequest("invalid resourceVersion \"\(text)\": not a number")
            }
            clientVersion = value
        }
        while true {
            guard let existing = store.get(type.storageKey, key) else { throw APIStatus.notFound(type, name: name) }
            if let clientVersion, clientVersion != existing.resourceVersion {
                throw APIStatus.conflict(type, name: name)
            }
            let old = try decodeStored(existing, type)
            if let result = try await replace(
                type,
                key,
                existing: existing,
                old: old,
                new: new,
                subresource: subresource,
                expected: existing.resourceVersion,
                options: options,
                operation: "Update"
            ) {
                return result
            }
            if clientVersion != nil { throw APIStatus.conflict(type, name: name) }
        }
    }

    /// Patches an object (PATCH) with one of the four patch types; apply patches create missing objects.
    func patch(
        _ type: ResourceType,
        namespace: String?,
        name: String,
        patchType: PatchType,
        body: String,
        subresource: String?,
        options: WriteOptions
    ) async throws(APIStatus) -> WriteResult {
        let patch: JSONValue
        do {
            patch = patchType == .apply ? try JSONValue(yamlOrJSON: body) : try JSONValue(parsing: body)
        } catch {
            throw APIStatus.badRequest("error decoding patch: \(Self.describe(error))")
        }
        if patchType == .strategic && type.custom { throw APIStatus.unsupportedMediaType }
        if patchType == .apply && options.fieldManager == nil {
            throw APIStatus.badRequest("PATCH /apply requires a non-empty fieldManager query parameter")
        }
        let key = ObjectKey(namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        while true {
            guard let existing = store.get(type.storageKey, key) else {
                if patchType == .apply && subresource == nil {
                    var options = options
                    options.fieldManager = options.fieldManager ?? "unknown"
                    return try await create(type, namespace: namespace, object: patch, options: options)
                }
                throw APIStatus.notFound(type, name: name)
            }
            let old = try decodeStored(existing, type)
            var new: JSONValue
            do {
                switch patchType {
                case .json: new = try JSONPatch(json: patch).apply(to: old)
                case .merge: new = JSONMergePatch.apply(patch, to: old)
                case .strategic, .apply, .applyCBOR:
                    if type.custom {
                        new = JSONMergePatch.apply(patch, to: old)
                    } else {
                        let schema =
                            PatchSchemaRegistry.builtIn.schema(group: type.group, kind: type.kind)
                            ?? PatchSchema()
                        new = try StrategicMergePatch.apply(patch, to: old, schema: schema)
                    }
                }
            } catch let error as KubeError where error.code == .invalid {
                throw APIStatus(code: 422, reason: "Invalid", message: error.message, details: [:])
            } catch {
                throw APIStatus(
                    code: patchType == .json ? 500 : 400,
                    reason: patchType == .json ? "InternalError" : "BadRequest",
                    message: "\(Self.describe(error))",
                    details: patchType == .json ? [:] : nil
                )
            }
            new = try checkedBody(new, type: type, namespace: namespace, nameFromURL: name)
            let expected = existing.resourceVersion
            let patchedVersion = new["metadata"]?["resourceVersion"]?.stringValue ?? ""
            if !patchedVersion.isEmpty, patchedVersion != String(existing.resourceVersion) {
                guard Int64(patchedVersion) != nil else {
                    throw APIStatus.badRequest("invalid resourceVersion \"\(patchedVersion)\"")
                }
                throw APIStatus.conflict(type, name: name)
            }
            if let result = try await replace(
                type,
                key,
                existing: existing,
                old: old,
                new: new,
                subresource: subresource,
                expected: expected,
                options: options,
                operation: patchType == .apply ? "Apply" : "Update"
            ) {
                return result
            }
        }
    }

    /// Writes `new` over `existing` with the server's rules; nil when another writer won (retry).
    func replace(
        _ type: ResourceType,
        _ key: ObjectKey,
        existing: StoredObject,
        old: JSONValue,
        new input: JSONValue,
        subresource: String?,
        expected: Int64,
        options: WriteOptions,
        operation: String
    ) async throws(APIStatus) -> WriteResult? {
        var new = input
        if subresource == "status" {
            var merged = old
            merged["status"] = new["status"]
            new = merged
        } else {
            for field in [
                "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                "selfLink",
            ] {
                new[path: ["metadata", field]] = old["metadata"]?[field]
            }
            if type.hasStatus && !type.mainEndpointWritesStatus { new["status"] = old["status"] }
            if type.plural == "namespaces" && type.group.isEmpty {
                new[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = .string(key.name)
                if old["metadata"]?["deletionTimestamp"] != nil { new["spec"] = old["spec"] }
            }
            if type.plural == "secrets" && type.group.isEmpty, case .object(let stringData)? = new["stringData"] {
                var data = new["data"]?.objectValue ?? [:]
                for (name, value) in stringData {
                    data[name] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
                }
                new["data"] = .object(data)
                new["stringData"] = nil
            }
        }
        if old["metadata"]?["generation"] != nil, Self.specChanged(old, new) {
            new[path: ["metadata", "generation"]] = .int((old["metadata"]?["generation"]?.intValue ?? 0) + 1)
        }
        if type.custom && subresource == nil { try validateCustomResource(type, new, name: key.name) }
        if type.group.isEmpty && type.plural == "events" { try validateEvent(type, new, name: key.name) }
        let managedFieldsChanged = Self.settleManagedFields(&new, old: old, subresource: subresource)
        let contentChanged = !Self.sameContent(old, new)
        if !contentChanged && !managedFieldsChanged {
            return WriteResult(status: 200, body: .bytes(existing.fullJSON(type)))
        }
        if contentChanged {
            new = withManagedFields(
                new,
                type: type,
                manager: options.fieldManager,
                operation: operation,
                time: Self.timestamp(),
                subresource: subresource
            )
        }
        let finalizers = new["metadata"]?["finalizers"]?.arrayValue ?? []
        // A graceful deletion in progress (a pod whose containers are stopping) ends with a delete of grace 0.
        let deleteNow =
            existing.deleting && finalizers.isEmpty
            && (old["metadata"]?["deletionGracePeriodSeconds"]?.intValue ?? 0) == 0
        if options.dryRun {
            return WriteResult(status: 200, body: .json(new))
        }
        let operationToCommit: SandboxStore.Operation =
            deleteNow ? .delete(expected: expected) : .update(PreparedObject(new), expected: expected)
        switch store.commit(type.storageKey, key, operationToCommit, namespaced: type.namespaced) {
        case .success(let (stored, sequence)):
            try await durable(sequence)
            afterWrite(type, stored: stored, deleted: deleteNow)
            if deleteNow { return WriteResult(status: 200, body: .json(new)) }
            return WriteResult(status: 200, body: .bytes(stored.fullJSON(type)))
        case .failure(.conflict):
            return nil
        case .failure(let refusal):
            throw refusal.status(type, name: key.name)
        }
    }

    /// Decodes a stored object; a failure is an internal error (the store only holds valid JSON).
    func decodeStored(_ stored: StoredObject, _ type: ResourceType) throws(APIStatus) -> JSONValue {
        do { return try stored.decode(type) } catch {
            throw APIStatus.internalError("stored object does not decode: \(error)")
        }
    }

    /// Whether anything outside metadata and status changed.
    static func specChanged(_ old: JSONValue, _ new: JSONValue) -> Bool {
        let keys = Set(Array(old.objectValue?.keys ?? []) + Array(new.objectValue?.keys ?? []))
        return keys.contains { key in
            key != "metadata" && key != "status" && key != "kind" && key != "apiVersion"
                && !equivalent(old[key], new[key])
        }
    }

    /// The managed fields a write leaves (kube-apiserver's `decodeLiveOrNew`): a list in the request that differs
    /// from the live one replaces it, so a client can set them (Velero patches a restored object's back); `[{}]`
    /// clears them; an absent or empty list keeps the live one, as does a write to a subresource. Returns
    /// whether they change.
    static func settleManagedFields(_ new: inout JSONValue, old: JSONValue, subresource: String?) -> Bool {
        let path = ["metadata", "managedFields"]
        let live = old["metadata"]?["managedFields"]
        let requested = new["metadata"]?["managedFields"]?.arrayValue ?? []
        if subresource != nil || requested.isEmpty {
            new[path: path] = live
            return false
        }
        if requested.count == 1, requested[0].objectValue?.isEmpty == true {
            new[path: path] = nil
            return !(live?.arrayValue ?? []).isEmpty
        }
        return !equivalent(live, new[path: path])
    }

    /// Equal except resourceVersion and managedFields.
    static func sameContent(_ old: JSONValue, _ new: JSONValue) -> Bool {
        var a = old
        var b = new
        for path in [["metadata", "resourceVersion"], ["metadata", "managedFields"]] {
            a[path: path] = nil
            b[path: path] = nil
        }
        return equivalent(a, b)
    }

    /// JSON equality that ignores the order of object members.
    static func equivalent(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (.object(let x)?, .object(let y)?):
            guard x.count == y.count else { return false }
            return x.allSatisfy { key, value in y[key].map { equivalent(value, $0) } ?? false }
        case (.array(let x)?, .array(let y)?):
            return x.count == y.count && zip(x, y).allSatisfy { equivalent($0, $1) }
        case (.int(let x)?, .double(let y)?), (.double(let y)?, .int(let x)?): return Double(x) == y
        default: return a == b
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? KubeError { return error.message }
        return "\(error)"
    }
}
