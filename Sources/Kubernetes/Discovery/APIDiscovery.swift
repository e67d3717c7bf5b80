/// A snapshot of the server's API surface: every group, its versions in preference order, and their resources.
///
/// Built from aggregated discovery (`/api` + `/apis` as APIGroupDiscoveryList v2/v2beta1) or from legacy
/// discovery (APIVersions / APIGroupList / APIResourceList per group-version). ``resolve(_:)`` maps what a
/// user types to a resource the way kubectl's RESTMapper does.
public struct APIDiscovery: Sendable, Hashable {
    /// One API group ("" for core) with its versions, preferred first.
    public struct Group: Sendable, Hashable {
        public var name: String
        /// Versions in preference order; the first is the preferred version.
        public var versions: [String]
        /// Resources of every version (subresources are listed on their parent, not as entries).
        public var resources: [APIResource]
        public var preferredVersion: String? { versions.first }

        public init(name: String, versions: [String], resources: [APIResource]) {
            self.name = name
            self.versions = versions
            self.resources = resources
        }
    }

    /// Groups in discovery order, core first.
    public var groups: [Group]

    public init(groups: [Group]) {
        self.groups = groups.filter { $0.name.isEmpty } + groups.filter { !$0.name.isEmpty }
    }

    /// The resources of every group's preferred version.
    public var preferredResources: [APIResource] {
        groups.flatMap { g in g.resources.filter { $0.version == g.preferredVersion } }
    }

    /// Every resource of every version.
    public var allResources: [APIResource] { groups.flatMap(\.resources) }

    /// The resource for a GVR, if the server serves it.
    public func resource(for gvr: GroupVersionResource) -> APIResource? {
        groups.first { $0.name == gvr.group }?.resources.first { $0.version == gvr.version && $0.name == gvr.resource }
    }

    /// The preferred-version resource serving a kind in a group (e.g. group "apps", kind "Deployment").
    public func resource(group: String, kind: String, version: String? = nil) -> APIResource? {
        guard let g = groups.first(where: { $0.name == group }) else { return nil }
        let v = version ?? g.preferredVersion
        return g.resources.first { $0.version == v && $0.kind == kind }
    }

    /// The resource for an object's apiVersion and kind.
    public func resource(apiVersion: String, kind: String) -> APIResource? {
        let parts = apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
        return parts.count == 2
            ? resource(group: parts[0], kind: kind, version: parts[1])
            : resource(group: "", kind: kind, version: parts.first)
    }
}

// MARK: - Resolving user input (kubectl's RESTMapper)

extension APIDiscovery {
    /// Resolves `deploy`, `deployments`, `deployment`, `Deployment`, `deployments.apps`,
    /// `deployments.v1.apps` or `po` to a resource, like kubectl:
    ///
    /// 1. `resource.version.group` is tried first when the input has two or more dots, then `resource.group`,
    ///    then the whole input as a resource name.
    /// 2. A short name (`deploy`, `po`) expands to its resource first; otherwise plural, singular and kind
    ///    match case-insensitively.
    /// 3. Among several groups the core group wins, then discovery order; without a version the group's
    ///    preferred version is used.
    ///
    /// - Throws: ``KubeError`` `.unknownResource`: `the server doesn't have a resource type "x"`.
    public func resolve(_ input: String) throws -> APIResource {
        let lower = input.lowercased().trimmingSpaces()
        let parts = lower.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var candidates: [(resource: String, version: String?, group: String?)] = []
        if parts.count >= 3 {
            candidates.append((parts[0], parts[1], parts[2...].joined(separator: ".")))
        }
        if parts.count >= 2 {
            candidates.append((parts[0], nil, parts[1...].joined(separator: ".")))
        }
        candidates.append((lower, nil, nil))
        for c in candidates where !c.resource.isEmpty {
            if let found = match(resource: c.resource, version: c.version, group: c.group) { return found }
        }
        throw KubeError(code: .unknownResource, message: "the server doesn't have a resource type \"\(input)\"")
    }

    private func match(resource: String, version: String?, group: String?) -> APIResource? {
        let scope = groups.filter { group == nil || $0.name == group }
        func pick(_ predicate: (APIResource) -> Bool) -> APIResource? {
            for g in scope {
                let versions = version.map { [$0] } ?? g.versions
                for v in versions {
                    if let r = g.resources.first(where: { $0.version == v && predicate($0) }) { return r }
                }
            }
            return nil
        }
        if let r = pick({ $0.shortNames.contains(resource) }) { return r }
        return pick { $0.name == resource || $0.singularName == resource || $0.kind.lowercased() == resource }
    }
}

// MARK: - Parsing discovery documents

extension APIDiscovery {
    /// Parses an aggregated discovery document (APIGroupDiscoveryList) into groups.
    public static func groups(aggregated list: JSONValue) -> [Group] {
        (list["items"]?.arrayValue ?? []).map { item in
            let name = item["metadata"]?["name"]?.stringValue ?? ""
            var versions: [String] = []
            var resources: [APIResource] = []
            for (index, v) in (item["versions"]?.arrayValue ?? []).enumerated() {
                guard let version = v["version"]?.stringValue else { continue }
                versions.append(version)
                for r in v["resources"]?.arrayValue ?? [] {
                    guard let plural = r["resource"]?.stringValue else { continue }
                    resources.append(
                        APIResource(
                            group: name,
                            version: version,
                            name: plural,
                            singularName: r["singularResource"]?.stringValue ?? "",
                            kind: r["responseKind"]?["kind"]?.stringValue ?? "",
                            namespaced: r["scope"]?.stringValue == "Namespaced",
                            verbs: strings(r["verbs"]),
                            shortNames: strings(r["shortNames"]),
                            categories: strings(r["categories"]),
                            subresources: (r["subresources"]?.arrayValue ?? []).compactMap {
                                $0["subresource"]?.stringValue
                            },
                            preferred: index == 0
                        )
                    )
                }
            }
            return Group(name: name, versions: versions, resources: resources)
        }
    }

    /// Parses one legacy APIResourceList (`/api/v1`, `/apis/apps/v1`).
    public static func resources(
        legacy list: JSONValue,
        group: String,
        version: String,
        preferred: Bool
    ) -> [APIResource] {
        let entries = list["resources"]?.arrayValue ?? []
        var subresources: [String: [String]] = [:]
        for e in entries {
            guard let n = e["name"]?.stringValue, let slash = n.firstIndex(of: "/") else { continue }
            subresources[String(n[..<slash]), default: []].append(String(n[n.index(after: slash)...]))
        }
        return entries.compactMap { e in
            guard let n = e["name"]?.stringValue, !n.contains("/") else { return nil }
            return APIResource(
                group: group,
                version: version,
                name: n,
                singularName: e["singularName"]?.stringValue ?? "",
                kind: e["kind"]?.stringValue ?? "",
                namespaced: e["namespaced"]?.boolValue ?? false,
                verbs: strings(e["verbs"]),
                shortNames: strings(e["shortNames"]),
                categories: strings(e["categories"]),
                subresources: subresources[n] ?? [],
                preferred: preferred
            )
        }
    }

    private static func strings(_ v: JSONValue?) -> [String] { v?.arrayValue?.compactMap(\.stringValue) ?? [] }
}
