import NIOCore
import NIOHTTP1

extension KubeClient {
    static func describe(_ r: GroupVersionResource, namespace: String?, name: String?) -> String {
        var s = r.group.isEmpty ? r.resource : "\(r.resource).\(r.group)"
        if let name { s += " \"\(name)\"" }
        if let namespace, !namespace.isEmpty { s += " in namespace \"\(namespace)\"" }
        return s
    }

    func decodeObject(_ response: KubeResponse) throws -> KubeObject {
        let value = try JSONValue(parsing: response.body)
        guard let object = KubeObject(value) else {
            throw KubeError(code: .malformedJSON, message: "expected an object in the response, got \(value.typeName)")
        }
        return object
    }

    /// Reads one object.
    ///
    /// - Parameters:
    ///   - resource: e.g. `.configMaps` or a resolved ``APIResource/gvr``.
    ///   - namespace: nil for cluster-scoped resources.
    ///   - resourceVersion: "0" to allow a cached read.
    /// - Throws: ``KubeError`` (`.notFound`, `.forbidden`, ...).
    public func get(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        name: String,
        subresource: String? = nil,
        resourceVersion: String? = nil
    ) async throws -> KubeObject {
        var query: [(String, String)] = []
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        let request = KubeRequest(
            method: .GET,
            path: resource.path(namespace: namespace, name: name, subresource: subresource),
            query: query,
            verb: "get",
            what: Self.describe(resource, namespace: namespace, name: name)
        )
        return try decodeObject(try await send(request))
    }

    /// Creates an object (POST). The namespace defaults to the object's metadata.namespace.
    ///
    /// Never retried after the request may have reached the server (only 429 and refused connections are).
    public func create(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        _ object: KubeObject,
        options: WriteOptions = WriteOptions()
    ) async throws -> KubeObject {
        let ns = namespace ?? object.namespace
        let request = KubeRequest(
            method: .POST,
            path: resource.path(namespace: ns),
            query: options.query,
            body: object.encoded(),
            verb: "create",
            what: Self.describe(resource, namespace: ns, name: object.name ?? object.generateName)
        )
        return try decodeObject(try await send(request))
    }

    /// Replaces an object (PUT). Send the resourceVersion you read to get a 409 Conflict if it changed.
    public func update(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        _ object: KubeObject,
        options: WriteOptions = WriteOptions()
    ) async throws -> KubeObject {
        try await put(resource, namespace: namespace, object, subresource: nil, options: options)
    }

    /// ``get(_:namespace:name:subresource:resourceVersion:)``, nil when there is no such object (404).
    public func getIfPresent(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        name: String
    ) async throws -> KubeObject? {
        do {
            return try await get(resource, namespace: namespace, name: name)
        } catch let error as KubeError where error.code == .notFound {
            return nil
        }
    }

    /// Replaces the status subresource (PUT .../status).
    public func updateStatus(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        _ object: KubeObject,
        options: WriteOptions = WriteOptions()
    ) async throws -> KubeObject {
        try await put(resource, namespace: namespace, object, subresource: "status", options: options)
    }

    /// Writes `object`'s status: through the status subresource when the resource has one, else with a plain update
    /// of the whole object (custom resources without it, such as Velero's own CRDs: the API server answers 404 to
    /// `.../status` then).
    public func writeStatus(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        _ object: KubeObject
    ) async throws -> KubeObject {
        do {
            return try await updateStatus(resource, namespace: namespace, object)
        } catch let error as KubeError where error.code == .notFound || error.code == .methodNotAllowed {
            return try await update(resource, namespace: namespace, object)
        }
    }

    private func put(
        _ resource: GroupVersionResource,
        namespace: String?,
        _ object: KubeObject,
        subresource: String?,
        options: WriteOptions
    ) async throws -> KubeObject {
        guard let name = object.name, !name.isEmpty else {
            throw KubeError(
                code: .invalidArgument,
                message: "update \(resource.resource): the object has no metadata.name"
            )
        }
        let ns = namespace ?? object.namespace
        let request = KubeRequest(
            method: .PUT,
            path: resource.path(namespace: ns, name: name, subresource: subresource),
            query: options.query,
            body: object.encoded(),
            verb: subresource == nil ? "update" : "update \(subresource ?? "")",
            what: Self.describe(resource, namespace: ns, name: name)
        )
        return try decodeObject(try await send(request))
    }

    /// Patches an object (merge, JSON, strategic merge, or server-side apply).
    public func patch(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        name: String,
        _ patch: Patch,
        subresource: String? = nil,
        options: WriteOptions = WriteOptions()
    ) async throws -> KubeObject {
        var query = options.query
        if case .apply(_, let manager, let force) = patch {
            if options.fieldManager == nil { query.append(("fieldManager", manager)) }
            if force { query.append(("force", "true")) }
        }
        let request = KubeRequest(
            method: .PATCH,
            path: resource.path(namespace: namespace, name: name, subresource: subresource),
            query: query,
            body: patch.body,
            contentType: patch.contentType,
            verb: "patch",
            what: Self.describe(resource, namespace: namespace, name: name),
            idempotent: patch.idempotent
        )
        return try decodeObject(try await send(request))
    }

    /// Deletes an object. Returns what the server returned: the object (when finalizers or foreground
    /// deletion keep it around) or a Status with `status: Success`.
    @discardableResult
    public func delete(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        name: String,
        options: DeleteOptions = DeleteOptions()
    ) async throws -> KubeObject {
        var query: [(String, String)] = []
        if options.dryRun { query.append(("dryRun", "All")) }
        let request = KubeRequest(
            method: .DELETE,
            path: resource.path(namespace: namespace, name: name),
            query: query,
            body: options.body.encoded(),
            verb: "delete",
            what: Self.describe(resource, namespace: namespace, name: name)
        )
        return try decodeObject(try await send(request))
    }

    /// Sends a raw request and returns the status and body (for endpoints the typed API does not cover).
    public func raw(
        method: String,
        path: String,
        query: [(String, String)] = [],
        body: [UInt8]? = nil,
        contentType: String? = nil,
        accept: String = "application/json"
    ) async throws -> (status: Int, body: [UInt8]) {
        let m = HTTPMethod(rawValue: method.uppercased())
        let request = KubeRequest(
            method: m,
            path: path,
            query: query,
            body: body,
            contentType: contentType,
            accept: accept,
            verb: method.lowercased(),
            what: path
        )
        let response = try await send(request)
        return (response.status, Array(buffer: response.body))
    }
}
