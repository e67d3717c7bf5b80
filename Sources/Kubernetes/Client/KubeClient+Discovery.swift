import NIOHTTP1
import Synchronization

extension KubeClient {
    /// The Accept header of aggregated discovery (v2, then v2beta1, then plain legacy JSON).
    static let aggregatedDiscoveryAccept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

    /// The server's API surface, cached after the first call.
    ///
    /// Uses aggregated discovery (`/api` and `/apis`, two requests) and falls back to legacy discovery
    /// (one request per group version) when the server answers with plain APIVersions / APIGroupList.
    ///
    /// - Parameter refresh: ignore the cache (e.g. after installing CRDs).
    public func discovery(refresh: Bool = false) async throws -> APIDiscovery {
        if !refresh, let cached = discoveryCache.withLock({ $0 }) { return cached }
        var groups: [APIDiscovery.Group] = []
        for root in ["/api", "/apis"] {
            let response = try await send(
                KubeRequest(
                    method: .GET,
                    path: root,
                    accept: Self.aggregatedDiscoveryAccept,
                    verb: "get",
                    what: "discovery \(root)"
                )
            )
            let value = try JSONValue(parsing: response.body)
            if value["kind"]?.stringValue == "APIGroupDiscoveryList" {
                var parsed = APIDiscovery.groups(aggregated: value)
                if root == "/api" { for i in parsed.indices { parsed[i].name = "" } }
                groups += parsed
            } else if root == "/api" {
                groups.append(try await legacyCore(value))
            } else {
                groups += try await legacyGroups(value)
            }
        }
        let discovery = APIDiscovery(groups: groups)
        discoveryCache.withLock { $0 = discovery }
        return discovery
    }

    /// Forgets the cached discovery data.
    public func invalidateDiscovery() {
        discoveryCache.withLock { $0 = nil }
    }

    /// Resolves what a user typed (`deploy`, `deployments.apps`, `po`, `Deployment`) like kubectl, refreshing the
    /// discovery cache once when the name is unknown (a CRD may have just been installed).
    public func resolve(_ input: String) async throws -> APIResource {
        do {
            return try await discovery().resolve(input)
        } catch let e as KubeError where e.code == .unknownResource {
            return try await discovery(refresh: true).resolve(input)
        }
    }

    private func legacyCore(_ apiVersions: JSONValue) async throws -> APIDiscovery.Group {
        let versions = apiVersions["versions"]?.arrayValue?.compactMap(\.stringValue) ?? ["v1"]
        var resources: [APIResource] = []
        for (i, v) in versions.enumerated() {
            let list = try JSONValue(
                parsing: try await send(
                    KubeRequest(method: .GET, path: "/api/\(v)", verb: "get", what: "discovery /api/\(v)")
                ).body
            )
            resources += APIDiscovery.resources(legacy: list, group: "", version: v, preferred: i == 0)
        }
        return APIDiscovery.Group(name: "", versions: versions, resources: resources)
    }

    private func legacyGroups(_ groupList: JSONValue) async throws -> [APIDiscovery.Group] {
        var result: [APIDiscovery.Group] = []
        for g in groupList["groups"]?.arrayValue ?? [] {
            guard let name = g["name"]?.stringValue else { continue }
            var versions = (g["versions"]?.arrayValue ?? []).compactMap { $0["version"]?.stringValue }
            if let preferred = g["preferredVersion"]?["version"]?.stringValue,
                let i = versions.firstIndex(of: preferred)
            {
                versions.remove(at: i)
                versions.insert(preferred, at: 0)
            }
            var resources: [APIResource] = []
            for (i, v) in versions.enumerated() {
                let path = "/apis/\(name)/\(v)"
                let list = try JSONValue(
                    parsing: try await send(
                        KubeRequest(method: .GET, path: path, verb: "get", what: "discovery \(path)")
                    ).body
                )
                resources += APIDiscovery.resources(legacy: list, group: name, version: v, preferred: i == 0)
            }
            result.append(APIDiscovery.Group(name: name, versions: versions, resources: resources))
        }
        return result
    }
}
