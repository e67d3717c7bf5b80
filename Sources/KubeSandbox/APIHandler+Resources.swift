import Foundation
import HTTPTypes
import Hummingbird
import Kubernetes
import NIOCore

extension APIHandler {
    func handleResource(
        _ request: Request,
        _ route: APIRoute.ResourceRoute,
        query: [String: String],
        accept: String
    )
        async throws(APIStatus) -> Response
    {
        let type = route.type
        var options = WriteOptions()
        options.dryRun = query["dryRun"] == "All"
        options.fieldManager =
            query["fieldManager"].flatMap { $0.isEmpty ? nil : $0 }
            ?? request.headers[.userAgent].map { String($0.split(separator: "/").first ?? "unknown") }
        options.force = query["force"] == "true"
        if let dryRun = query["dryRun"], !dryRun.isEmpty, dryRun != "All" {
            throw APIStatus.badRequest("Invalid dry run value: \(dryRun), supported values are: All")
        }
        if type.namespaced && route.namespace == nil {
            // Only list and watch are served across namespaces.
            guard request.method == .get, route.name == nil else {
                throw route.name == nil ? APIStatus.methodNotAllowed : APIStatus.unknownResource
            }
        }
        if route.subresource == "scale" { return try await handleScale(request, route, options: options) }
        switch request.method {
        case .get:
            if let name = route.name, Self.isWatch(query), route.subresource == nil {
                var query = query
                let byName = "metadata.name=\(name)"
                query["fieldSelector"] =
                    query["fieldSelector"].map { $0.isEmpty ? byName : "\($0),\(byName)" } ?? byName
                return try watch(type, namespace: route.namespace, query: query, accept: accept)
            }
            if let name = route.name {
                let key = ObjectKey(namespace: type.namespaced ? (route.namespace ?? "") : "", name: name)
                guard let stored = core.store.get(type.storageKey, key) else {
                    throw APIStatus.notFound(type, name: name)
                }
                if Self.wants("as=Table", accept) {
                    let object = try core.decodeStored(stored, type)
                    let table = TableFormat(type: type, now: Date()).table(
                        [object],
                        resourceVersion: String(stored.resourceVersion),
                        continueToken: nil,
                        remaining: nil,
                        includeObject: query["includeObject"] ?? "Metadata"
                    )
                    return Self.json(table)
                }
                if Self.wants("as=PartialObjectMetadata", accept) {
                    let object = try core.decodeStored(stored, type)
                    return Self.json(
                        [
                            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                            "metadata": object["metadata"] ?? [:],
                        ])
                }
                return Self.bytes(stored.fullJSON(type))
            }
            if Self.isWatch(query) { return try watch(type, namespace: route.namespace, query: query, accept: accept) }
            return try list(type, namespace: route.namespace, query: query, accept: accept)
        case .post:
            guard route.name == nil else { throw APIStatus.methodNotAllowed }
            let body = try await readObject(request, type: type)
            return Self.result(
                try await core.create(type, namespace: route.namespace, object: body, options: options),
                type
            )
        case .put:
            guard let name = route.name else { throw APIStatus.methodNotAllowed }
            let body = try await readObject(request, type: type)
            return Self.result(
                try await core.update(
                    type,
                    namespace: route.namespace,
                    name: name,
                    object: body,
                    subresource: route.subresource,
                    options: options
                ),
                type
            )
        case .patch:
            guard let name = route.name else { throw APIStatus.methodNotAllowed }
            guard let patchType = PatchType(contentType: request.headers[.contentType] ?? "") else {
                throw APIStatus.unsupportedMediaType
            }
            let text = String(buffer: try await readBody(request))
            return Self.result(
                try await core.patch(
                    type,
                    namespace: route.namespace,
                    name: name,
                    patchType: patchType,
                    body: text,
                    subresource: route.subresource,
                    options: options
                ),
                type
            )
        case .delete:
            let body = try await readBody(request)
            var json: JSONValue?
            if body.readableBytes > 0 {
                do { json = try JSONValue(parsing: body) } catch {
                    throw APIStatus.badRequest("error decoding DeleteOptions: \(SandboxCore.describe(error))")
                }
            }
            let deleteOptions = try DeleteOptions(body: json, query: query)
            guard let name = route.name else {
                if type.plural == "namespaces" && type.group.isEmpty { throw APIStatus.methodNotAllowed }
                return try await deleteCollection(
                    type,
                    namespace: route.namespace,
                    query: query,
                    options: deleteOptions
                )
            }
            return Self.result(
                try await core.delete(type, namespace: route.namespace, name: name, options: deleteOptions),
                type
            )
        default:
            throw APIStatus.methodNotAllowed
        }
    }

    static func wants(_ marker: String, _ accept: String) -> Bool {
        accept.split(separator: ",").first.map { $0.contains(marker) } ?? false
    }

    static func result(_ result: WriteResult, _ type: ResourceType) -> Response {
        let status = HTTPResponse.Status(code: result.status)
        switch result.body {
        case .bytes(let buffer): return bytes(buffer, status: status)
        case .json(let value): return json(value, status: status)
        }
    }

    // MARK: - Bodies

    func readBody(_ request: Request) async throws(APIStatus) -> ByteBuffer {
        let limit = core.configuration.maxRequestBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIStatus.tooLarge(limit)
        }
        var request = request
        do { return try await request.collectBody(upTo: limit) } catch {
            throw APIStatus.tooLarge(limit)
        }
    }

    /// Reads a JSON or YAML object body.
    func readObject(_ request: Request, type: ResourceType) async throws(APIStatus) -> JSONValue {
        let contentType = (request.headers[.contentType] ?? "application/json").lowercased()
        let isYAML =
            contentType.hasPrefix("application/yaml") || contentType.hasPrefix("application/x-yaml")
            || contentType.hasPrefix("text/yaml")
        if contentType.hasPrefix("application/vnd.kubernetes.protobuf") {
            return try ProtobufBody.decode(Array(try await readBody(request).readableBytesView))
        }
        guard isYAML || contentType.hasPrefix("application/json") || contentType.hasPrefix("*/*") else {
            throw APIStatus.unsupportedMediaType
        }
        let body = try await readBody(request)
        do {
            if isYAML { return try JSONValue(yamlOrJSON: String(buffer: body)) }
            return try JSONValue(parsing: body)
        } catch {
            throw APIStatus.malformedBody(type, text: String(buffer: body), problem: SandboxCore.describe(error))
        }
    }

    // MARK: - List

    func list(
        _ type: ResourceType,
        namespace: String?,
        query: [String: String],
        accept: String
    ) throws(APIStatus)
        -> Response
    {
        let selector = try ListSelector(
            type: type,
            labelSelector: query["labelSelector"],
            fieldSelector: query["fieldSelector"]
        )
        var limit: Int?
        if let text = query["limit"], !text.isEmpty {
            guard let value = Int(text), value >= 0 else { throw APIStatus.badRequest("invalid limit \"\(text)\"") }
            limit = value == 0 ? nil : value
        }
        var after: ObjectKey?
        if let token = query["continue"], !token.isEmpty {
            let parsed = try ContinueToken(decoding: token)
            if parsed.resourceVersion >= 0 && parsed.resourceVersion < core.store.historyFloor {
                let fresh = ContinueToken(resourceVersion: -1, start: parsed.start).encoded
                throw APIStatus.expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a "
                        + "new list without the continue parameter, or use the continue token in this response to "
                        + "retrieve the remainder of the results. Continuing with the provided token results in an "
                        + "inconsistent list - objects that were created, modified, or deleted between the time the "
                        + "first chunk was returned and now may show up in the list.",
                    continueToken: fresh
                )
            }
            after = parsed.key(namespaced: type.namespaced)
        }
        if query["resourceVersionMatch"] == "Exact", let text = query["resourceVersion"], let version = Int64(text),
            version < core.store.historyFloor
        {
            throw APIStatus.expired("The resourceVersion for the provided list is too old.")
        }
        let page = core.store.list(
            type.storageKey,
            namespace: namespace,
            after: after,
            limit: limit,
            countRemaining: selector.isEverything,
            matches: selector.matches
        )
        let continueToken = page.next.map { ContinueToken(resourceVersion: page.resourceVersion, key: $0).encoded }
        let remaining = page.next != nil && selector.isEverything ? page.remaining : nil
        if Self.wants("as=Table", accept) {
            var objects: [JSONValue] = []
            objects.reserveCapacity(page.items.count)
            for (_, stored) in page.items { objects.append(try core.decodeStored(stored, type)) }
            let table = TableFormat(type: type, now: Date()).table(
                objects,
                resourceVersion: String(page.resourceVersion),
                continueToken: continueToken,
                remaining: remaining,
                includeObject: query["includeObject"] ?? "Metadata"
            )
            return Self.json(table)
        }
        let partial = Self.wants("as=PartialObjectMetadataList", accept)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(page.items.reduce(128) { $0 + $1.1.body.readableBytes + 1 })
        let listKind = partial ? "PartialObjectMetadataList" : type.listKind
        let apiVersion = partial ? "meta.k8s.io/v1" : type.apiVersion
        buffer.writeString(
            "{\"kind\":\"\(listKind)\",\"apiVersion\":\"\(apiVersion)\",\"metadata\":{\"resourceVersion\":\"\(page.resourceVersion)\""
        )
        if let continueToken { buffer.writeString(",\"continue\":\"\(continueToken)\"") }
        if let remaining { buffer.writeString(",\"remainingItemCount\":\(remaining)") }
        buffer.writeString("},\"items\":[")
        for (index, item) in page.items.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            if partial {
                let metadata = (try? JSONValue(parsing: item.1.body))?["metadata"] ?? [:]
                let entry: JSONValue = [
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
                ]
                entry.write(into: &buffer)
            } else {
                item.1.write(into: &buffer, type: type, withTypeMeta: type.custom)
            }
        }
        buffer.writeString("]}")
        return Self.bytes(buffer)
    }

    func deleteCollection(
        _ type: ResourceType,
        namespace: String?,
        query: [String: String],
        options: DeleteOptions
    )
        async throws(APIStatus) -> Response
    {
        let selector = try ListSelector(
            type: type,
            labelSelector: query["labelSelector"],
            fieldSelector: query["fieldSelector"]
        )
        let page = core.store.list(
            type.storageKey,
            namespace: namespace,
            after: nil,
            limit: nil,
            countRemaining: false,
            matches: selector.matches
        )
        var items: [JSONValue] = []
        for (key, stored) in page.items {
            if let object = try? core.decodeStored(stored, type) { items.append(object) }
            _ = try? await core.delete(
                type,
                namespace: key.namespace.isEmpty ? nil : key.namespace,
                name: key.name,
                options: options
            )
        }
        return Self.json(
            [
                "kind": .string(type.listKind), "apiVersion": .string(type.apiVersion),
                "metadata": ["resourceVersion": .string(String(core.store.currentResourceVersion))],
                "items": .array(items),
            ])
    }
}

/// The opaque continue token: base64url of `{"v":"meta.k8s.io/v1","rv":N,"start":"ns/name\u0000"}` (as the
/// real server's).
struct ContinueToken: Sendable {
    var resourceVersion: Int64
    var start: String

    init(resourceVersion: Int64, start: String) {
        self.resourceVersion = resourceVersion
        self.start = start
    }

    init(resourceVersion: Int64, key: ObjectKey) {
        self.init(resourceVersion: resourceVersion, start: key.path + "\u{0}")
    }

    init(decoding token: String) throws(APIStatus) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let json = try? JSONValue(parsing: Array(data)),
            let version = json["rv"]?.intValue, let start = json["start"]?.stringValue
        else {
            throw APIStatus.badRequest(
                "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
            )
        }
        resourceVersion = version
        self.start = start
    }

    var encoded: String {
        let json: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(resourceVersion), "start": .string(start)]
        return Data(json.encoded()).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The key to continue after.
    func key(namespaced: Bool) -> ObjectKey {
        let path = start.hasSuffix("\u{0}") ? String(start.dropLast()) : start
        if namespaced, let slash = path.firstIndex(of: "/") {
            return ObjectKey(namespace: String(path[..<slash]), name: String(path[path.index(after: slash)...]))
        }
        return ObjectKey(namespace: "", name: path)
    }
}
