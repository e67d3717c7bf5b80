import Foundation
import HTTPTypes
import Hummingbird
import Kubernetes
import Logging
import NIOCore
import Synchronization

/// The HTTP front of the sandbox: authentication, fault injection, routing, content negotiation and the
/// Status bodies of errors. Resource semantics live in ``SandboxCore``.
struct APIHandler: HTTPResponder {
    typealias Context = BasicRequestContext

    let core: SandboxCore

    func respond(to request: Request, context: Context) async throws -> Response {
        await handle(request)
    }

    /// Answers one request (no request context needed, so tests can call it without a socket).
    func handle(_ request: Request) async -> Response {
        let path = request.uri.path
        let query = Self.parseQuery(request.uri.query ?? "")
        let route = APIRoute.parse(path, registry: core.registry)
        let method = request.method.rawValue
        if let authorization = request.headers[.authorization] {
            guard authorization == "Bearer \(core.token)" else { return Self.statusResponse(APIStatus.unauthorized) }
        } else if !Self.isPublic(route) {
            return Self.statusResponse(Self.anonymous(route, method: method, query: query, path: path))
        }
        if let fault = core.faults.take(method: method, path: path) { return Self.statusResponse(fault) }
        if core.configuration.writeLatency > .zero, Self.isWrite(method) {
            core.writesInCommit.add(1, ordering: .relaxed)
            try? await Task.sleep(for: core.configuration.writeLatency)
            core.writesInCommit.subtract(1, ordering: .relaxed)
        }
        do {
            return try await dispatch(request, route: route, query: query)
        } catch {
            return Self.statusResponse(error)
        }
    }

    private func dispatch(
        _ request: Request,
        route: APIRoute,
        query: [String: String]
    ) async throws(APIStatus)
        -> Response
    {
        let accept = request.headers[.accept] ?? "application/json"
        let discovery = Discovery(types: core.registry.all, serverAddress: core.serverAddress)
        switch route {
        case .version:
            return Self.json(SandboxVersion.document)
        case .health:
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "ok"))
            )
        case .coreVersions:
            return aggregatedOrLegacy(accept: accept, discovery: discovery, core: true)
        case .groups:
            return aggregatedOrLegacy(accept: accept, discovery: discovery, core: false)
        case .group(let name):
            guard let document = discovery.apiGroup(name) else { throw APIStatus.unknownResource }
            return Self.json(document)
        case .resourceList(let groupVersion):
            guard let document = discovery.resourceList(groupVersion: groupVersion) else {
                throw APIStatus.unknownResource
            }
            return Self.json(document)
        case .openAPIv2:
            throw APIStatus.unknownResource
        case .openAPIv3Index:
            return Self.json(OpenAPIDocuments(types: core.registry.all).index)
        case .openAPIv3(let groupVersionPath):
            guard let document = OpenAPIDocuments(types: core.registry.all).document(for: groupVersionPath) else {
                throw APIStatus.unknownResource
            }
            var response = Self.json(document)
            response.headers[.cacheControl] = "no-cache, private"
            return response
        case .resource(let resource):
            if let (subresource, namespace, name) = route.podSubresource {
                return try await podSubresource(
                    subresource,
                    request: request,
                    namespace: namespace,
                    name: name,
                    query: query
                )
            }
            return try await handleResource(request, resource, query: query, accept: accept)
        case .unknown:
            throw APIStatus.unknownResource
        }
    }

    private func aggregatedOrLegacy(accept: String, discovery: Discovery, core: Bool) -> Response {
        for option in accept.split(separator: ",") {
            let parameters = option.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parameters.contains("as=APIGroupDiscoveryList"), parameters.contains("g=apidiscovery.k8s.io")
            else {
                if parameters.first == "application/json" || parameters.first == "*/*" { break }
                continue
            }
            let version = parameters.contains("v=v2") ? "v2" : parameters.contains("v=v2beta1") ? "v2beta1" : nil
            guard let version else { continue }
            var response = Self.json(discovery.aggregated(core: core, version: version))
            response.headers[.contentType] =
                "application/json;g=apidiscovery.k8s.io;v=\(version);as=APIGroupDiscoveryList"
            response.headers[.vary] = "Accept"
            return response
        }
        return Self.json(core ? discovery.apiVersions : discovery.apiGroupList)
    }

    // MARK: - Helpers

    static func isPublic(_ route: APIRoute) -> Bool {
        switch route {
        case .version, .health: return true
        default: return false
        }
    }

    static func anonymous(_ route: APIRoute, method: String, query: [String: String], path: String) -> APIStatus {
        guard case .resource(let resource) = route else {
            return APIStatus.anonymousForbidden(verb: method.lowercased(), type: nil, namespace: nil, path: path)
        }
        let verb: String
        switch method {
        case "GET": verb = resource.name != nil ? "get" : (Self.isWatch(query) ? "watch" : "list")
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = resource.name != nil ? "delete" : "deletecollection"
        default: verb = method.lowercased()
        }
        return APIStatus.anonymousForbidden(verb: verb, type: resource.type, namespace: resource.namespace, path: path)
    }

    /// Whether the method changes state (delayed by ``SandboxConfiguration/writeLatency``).
    static func isWrite(_ method: String) -> Bool {
        method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE"
    }

    static func isWatch(_ query: [String: String]) -> Bool {
        query["watch"] == "1" || query["watch"] == "true"
    }

    static func parseQuery(_ query: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            result[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }

    private static func decode(_ text: Substring) -> String {
        let plus = text.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        value.write(into: &buffer)
        return bytes(buffer, status: status)
    }

    static func bytes(_ buffer: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-cache, private"],
            body: .init(byteBuffer: buffer)
        )
    }

    static func statusResponse(_ error: any Error) -> Response {
        let status = (error as? APIStatus) ?? APIStatus.internalError("\(error)")
        if status.plainText {
            return Response(
                status: HTTPResponse.Status(code: status.code),
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: status.message))
            )
        }
        var response = json(status.json, status: HTTPResponse.Status(code: status.code))
        for (name, value) in status.headers {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        return response
    }
}

/// What `/version` says.
enum SandboxVersion {
    static let document: JSONValue = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-lifeboat-sandbox",
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64",
    ]
}
