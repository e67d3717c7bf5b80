/// What a request path addresses.
enum APIRoute: Sendable {
    case version
    case health(String)
    case coreVersions  // /api
    case groups  // /apis
    case group(String)  // /apis/{group}
    case resourceList(String)  // /api/v1, /apis/{g}/{v}
    case openAPIv2
    case openAPIv3Index
    case openAPIv3(String)  // api/v1, apis/apps/v1
    case resource(ResourceRoute)
    case unknown

    /// A path under a served resource type.
    struct ResourceRoute: Sendable {
        var type: ResourceType
        /// Namespace from the URL (nil = cluster scope or all namespaces).
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    /// Parses a path (without query) against the registry.
    static func parse(_ path: String, registry: ResourceRegistry) -> APIRoute {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let first = segments.first else { return .unknown }
        switch first {
        case "version" where segments.count == 1: return .version
        case "healthz", "livez", "readyz": return .health(segments.joined(separator: "/"))
        case "openapi":
            if segments.count == 2 && segments[1] == "v2" { return .openAPIv2 }
            if segments.count == 2 && segments[1] == "v3" { return .openAPIv3Index }
            if segments.count > 2 && segments[1] == "v3" { return .openAPIv3(segments[2...].joined(separator: "/")) }
            return .unknown
        case "api":
            if segments.count == 1 { return .coreVersions }
            if segments.count == 2 { return segments[1] == "v1" ? .resourceList("v1") : .unknown }
            return resource(groupVersion: segments[1], rest: Array(segments[2...]), registry: registry)
        case "apis":
            if segments.count == 1 { return .groups }
            if segments.count == 2 { return .group(segments[1]) }
            let groupVersion = "\(segments[1])/\(segments[2])"
            if segments.count == 3 { return .resourceList(groupVersion) }
            return resource(groupVersion: groupVersion, rest: Array(segments[3...]), registry: registry)
        default:
            return .unknown
        }
    }

    private static func resource(groupVersion: String, rest: [String], registry: ResourceRegistry) -> APIRoute {
        var rest = rest
        var namespace: String?
        // /namespaces/{ns}/{resource}/... unless it is the namespaces resource itself (or its subresources).
        if rest.count >= 3 && rest[0] == "namespaces"
            && !(groupVersion == "v1" && rest.count == 3
                && ["status", "finalize"].contains(rest[2]))
        {
            namespace = rest[1]
            rest.removeFirst(2)
        }
        guard !rest.isEmpty, rest.count <= 3, let type = registry.lookup(groupVersion: groupVersion, plural: rest[0])
        else { return .unknown }
        if namespace != nil && !type.namespaced { return .unknown }
        let name = rest.count > 1 ? rest[1] : nil
        let subresource = rest.count > 2 ? rest[2] : nil
        if let subresource {
            let allowed =
                (subresource == "status" && type.hasStatus) || (subresource == "scale" && type.hasScale)
                || (subresource == "finalize" && type.plural == "namespaces" && type.group.isEmpty)
                || (PodSubresource(rawValue: subresource) != nil && type.plural == "pods" && type.group.isEmpty)
            if !allowed { return .unknown }
        }
        return .resource(ResourceRoute(type: type, namespace: namespace, name: name, subresource: subresource))
    }
}

/// The streaming subresources of core/v1 pods.
enum PodSubresource: String, Sendable {
    case log
    case exec
    case attach
}

extension APIRoute {
    /// The pod subresource (`log`, `exec`, `attach`) and the pod this route addresses, if it is one.
    var podSubresource: (PodSubresource, namespace: String, name: String)? {
        guard case .resource(let route) = self, route.type.plural == "pods", route.type.group.isEmpty,
            let namespace = route.namespace, let name = route.name,
            let subresource = route.subresource.flatMap(PodSubresource.init(rawValue:))
        else { return nil }
        return (subresource, namespace, name)
    }
}
