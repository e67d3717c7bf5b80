import Foundation
import Kubernetes
import Logging

extension SandboxCore {
    /// Creates an object (POST to a collection).
    ///
    /// Sets uid, resourceVersion, creationTimestamp, generation and managedFields, applies the kind's
    /// defaults, checks the name, the namespace and (for custom resources) the CRD's names and scope.
    func create(
        _ type: ResourceType,
        namespace: String?,
        object input: JSONValue,
        options: WriteOptions
    ) async throws(APIStatus) -> WriteResult {
        var object = try checkedBody(input, type: type, namespace: namespace, nameFromURL: nil)
        var metadata = object["metadata"]?.objectValue ?? [:]
        var name = metadata["name"]?.stringValue ?? ""
        if name.isEmpty, let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty {
            name = NameValidation.generate(prefix: prefix)
            metadata["name"] = .string(name)
        }
        if name.isEmpty {
            throw APIStatus.invalid(
                type,
                name: "",
                causes: [("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")]
            )
        }
        let problems = NameValidation.problems(name: name, for: type)
        if !problems.isEmpty {
            throw APIStatus.invalid(
                type,
                name: name,
                causes: problems.map { ("metadata.name", "FieldValueInvalid", "Invalid value: \"\(name)\": \($0)") }
            )
        }
        let now = Self.timestamp()
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(now)
        metadata["deletionTimestamp"] = nil
        metadata["deletionGracePeriodSeconds"] = nil
        metadata["resourceVersion"] = nil
        metadata["selfLink"] = nil
        if type.custom || object["spec"] != nil || Self.hasGeneration(type) {
            metadata["generation"] = 1
        } else {
            metadata["generation"] = nil
        }
        object["metadata"] = .object(metadata)
        if type.hasStatus && !type.mainEndpointWritesStatus && !(type.custom && object["status"] == nil) {
            object["status"] = type.custom ? nil : [:]
        }
        try applyCreateDefaults(type, &object, now: now)
        object = withManagedFields(object, type: type, manager: options.fieldManager, operation: "Update", time: now)
        let key = ObjectKey(namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        let prepared = PreparedObject(object)
        if options.dryRun {
            if type.namespaced { try checkNamespaceWritable(type, key) }
            if store.get(type.storageKey, key) != nil { throw APIStatus.alreadyExists(type, name: name) }
            return WriteResult(status: 201, body: .json(prepared.withResourceVersion("")))
        }
        switch store.commit(type.storageKey, key, .create(prepared), namespaced: type.namespaced) {
        case .success(let (stored, sequence)):
            try await durable(sequence)
            afterWrite(type, stored: stored)
            return WriteResult(status: 201, body: .bytes(stored.fullJSON(type)))
        case .failure(let refusal):
            throw refusal.status(type, name: name)
        }
    }

    /// Validates the request body against the URL: an object, matching kind/apiVersion, namespace, name.
    func checkedBody(
        _ input: JSONValue,
        type: ResourceType,
        namespace: String?,
        nameFromURL: String?
    )
        throws(APIStatus) -> JSONValue
    {
        guard case .object(var members) = input else {
            throw APIStatus.badRequest(
                "the object provided is unrecognized (must be of type \(type.kind)): couldn't get version/kind; "
                    + "json parse error: body is a JSON \(input.typeName), not an object"
            )
        }
        let name = members["metadata"]?["name"]?.stringValue ?? nameFromURL ?? ""
        if let kind = members["kind"]?.stringValue, !kind.isEmpty, kind != type.kind {
            throw APIStatus.invalid(
                type,
                name: name,
                causes: [("kind", "FieldValueInvalid", "Invalid value: \"\(kind)\": must be \(type.kind)")]
            )
        }
        if let apiVersion = members["apiVersion"]?.stringValue, !apiVersion.isEmpty, apiVersion != type.apiVersion {
            throw APIStatus.invalid(
                type,
                name: name,
                causes: [
                    ("apiVersion", "FieldValueInvalid", "Invalid value: \"\(apiVersion)\": must be \(type.apiVersion)")
                ]
            )
        }
        members["kind"] = .string(type.kind)
        members["apiVersion"] = .string(type.apiVersion)
        var metadata: JSONObject
        switch members["metadata"] {
        case .object(let value)?: metadata = value
        case nil, .null?: metadata = [:]
        case let other?:
            throw APIStatus.badRequest("metadata must be an object, not a JSON \(other.typeName)")
        }
        if type.namespaced {
            if let own = metadata["namespace"]?.stringValue, !own.isEmpty, own != namespace {
                throw APIStatus.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            }
            metadata["namespace"] = namespace.map { .string($0) }
        } else {
            metadata["namespace"] = nil
        }
        if let nameFromURL {
            let own = metadata["name"]?.stringValue ?? ""
            if !own.isEmpty && own != nameFromURL {
                throw APIStatus.badRequest(
                    "the name of the object (\(own)) does not match the name on the URL (\(nameFromURL))"
                )
            }
            metadata["name"] = .string(nameFromURL)
        }
        // Reorder: kind, apiVersion, metadata first (like the real server's output).
        var ordered: JSONObject = [:]
        ordered.reserveCapacity(members.count)
        ordered["kind"] = members.removeValue(forKey: "kind")
        ordered["apiVersion"] = members.removeValue(forKey: "apiVersion")
        ordered["metadata"] = .object(metadata)
        members.removeValue(forKey: "metadata")
        for (key, value) in members { ordered[key] = value }
        return .object(ordered)
    }

    /// Throws the real server's error if the namespace of `key` is missing or terminating.
    func checkNamespaceWritable(_ type: ResourceType, _ key: ObjectKey) throws(APIStatus) {
        guard let namespace = store.get("namespaces", ObjectKey(namespace: "", name: key.namespace)) else {
            throw APIStatus.namespaceNotFound(key.namespace)
        }
        if namespace.deleting {
            throw APIStatus.namespaceTerminating(type, name: key.name, namespace: key.namespace)
        }
    }

    /// Waits for the log; a failure there is a 500 (the write is not acknowledged).
    func durable(_ sequence: UInt64?) async throws(APIStatus) {
        do { try await store.waitDurable(sequence) } catch {
            logger.info("log write failed", metadata: ["error": "\(error)"])
            throw APIStatus.internalError("persisting the write failed: \(error)")
        }
    }

    /// Types whose objects carry metadata.generation.
    static func hasGeneration(_ type: ResourceType) -> Bool {
        type.custom || type.plural == "customresourcedefinitions"
            || ["apps", "batch", "autoscaling", "policy", "networking.k8s.io"].contains(type.group)
    }

    /// Adds or replaces this manager's managedFields entry.
    func withManagedFields(
        _ object: JSONValue,
        type: ResourceType,
        manager: String?,
        operation: String,
        time: String,
        subresource: String? = nil
    ) -> JSONValue {
        let manager = manager ?? "unknown"
        var entry: JSONObject = [
            "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(type.apiVersion),
            "time": .string(time), "fieldsType": "FieldsV1",
            "fieldsV1": .object(Self.fieldSet(of: object, subresource: subresource)),
        ]
        if let subresource { entry["subresource"] = .string(subresource) }
        var result = object
        var entries = object["metadata"]?["managedFields"]?.arrayValue ?? []
        entries.removeAll {
            $0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == operation
                && $0["subresource"]?.stringValue == subresource
        }
        entries.append(.object(entry))
        result[path: ["metadata", "managedFields"]] = .array(entries)
        return result
    }

    /// A FieldsV1 set naming the fields present (lists are leaves).
    static func fieldSet(of object: JSONValue, subresource: String?) -> JSONObject {
        var set: JSONObject = [:]
        for (key, value) in object.objectValue ?? [:] {
            switch key {
            case "kind", "apiVersion": continue
            case "status" where subresource == nil: continue
            case "metadata":
                var meta: JSONObject = [:]
                for field in ["labels", "annotations", "finalizers", "ownerReferences"] {
                    if let inner = value[field] { meta["f:\(field)"] = .object(fields(inner)) }
                }
                if !meta.isEmpty { set["f:metadata"] = .object(meta) }
            default:
                if subresource == "status" && key != "status" { continue }
                set["f:\(key)"] = .object(fields(value))
            }
        }
        return set
    }

    private static func fields(_ value: JSONValue) -> JSONObject {
        guard case .object(let members) = value, !members.isEmpty else { return [:] }
        var set: JSONObject = [".": [:]]
        for (key, inner) in members { set["f:\(key)"] = .object(fields(inner)) }
        return set
    }
}

extension SandboxStore.Refusal {
    /// The client-facing error for a refused write.
    func status(_ type: ResourceType, name: String) -> APIStatus {
        switch self {
        case .alreadyExists: return .alreadyExists(type, name: name)
        case .notFound: return .notFound(type, name: name)
        case .conflict: return .conflict(type, name: name)
        case .namespaceMissing(let namespace): return .namespaceNotFound(namespace)
        case .namespaceTerminating(let namespace):
            return .namespaceTerminating(type, name: name, namespace: namespace)
        case .closed:
            return APIStatus(code: 503, reason: "ServiceUnavailable", message: "the sandbox is shutting down")
        }
    }
}
