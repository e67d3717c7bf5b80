/// A group, version and resource (plural), e.g. apps/v1 deployments.
public struct GroupVersionResource: Sendable, Hashable, CustomStringConvertible {
    /// "" for the core group.
    public var group: String
    public var version: String
    /// The plural resource name, e.g. "deployments".
    public var resource: String

    public init(group: String, version: String, resource: String) {
        self.group = group
        self.version = version
        self.resource = resource
    }

    /// "v1" for core, "apps/v1" otherwise.
    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `deployments.v1.apps` (`configmaps.v1` for core), kubectl's fully qualified form.
    public var description: String { group.isEmpty ? "\(resource).\(version)" : "\(resource).\(version).\(group)" }

    /// The URL path prefix: "/api/v1" or "/apis/apps/v1".
    public var basePath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The path of the collection or of one object: `/api/v1/namespaces/ns/configmaps[/name][/subresource]`.
    public func path(namespace: String? = nil, name: String? = nil, subresource: String? = nil) -> String {
        var p = basePath
        if let namespace, !namespace.isEmpty { p += "/namespaces/" + KubeURL.escapePath(namespace) }
        p += "/" + resource
        if let name { p += "/" + KubeURL.escapePath(name) }
        if let subresource { p += "/" + subresource }
        return p
    }

    public static let configMaps = GroupVersionResource(group: "", version: "v1", resource: "configmaps")
    public static let secrets = GroupVersionResource(group: "", version: "v1", resource: "secrets")
    public static let namespaces = GroupVersionResource(group: "", version: "v1", resource: "namespaces")
    public static let pods = GroupVersionResource(group: "", version: "v1", resource: "pods")
    public static let customResourceDefinitions = GroupVersionResource(
        group: "apiextensions.k8s.io",
        version: "v1",
        resource: "customresourcedefinitions"
    )
}

/// One resource type as discovery describes it.
public struct APIResource: Sendable, Hashable {
    public var group: String
    public var version: String
    /// Plural name, e.g. "deployments".
    public var name: String
    /// e.g. "deployment" (derived from the kind when discovery leaves it empty, like kubectl).
    public var singularName: String
    public var kind: String
    public var namespaced: Bool
    public var verbs: [String]
    public var shortNames: [String]
    public var categories: [String]
    /// Subresource names, e.g. ["status", "scale"].
    public var subresources: [String]
    /// Whether `version` is the group's preferred version.
    public var preferred: Bool

    public init(
        group: String,
        version: String,
        name: String,
        singularName: String = "",
        kind: String,
        namespaced: Bool,
        verbs: [String] = [],
        shortNames: [String] = [],
        categories: [String] = [],
        subresources: [String] = [],
        preferred: Bool = true
    ) {
        self.group = group
        self.version = version
        self.name = name
        self.singularName = singularName.isEmpty ? kind.lowercased() : singularName
        self.kind = kind
        self.namespaced = namespaced
        self.verbs = verbs
        self.shortNames = shortNames
        self.categories = categories
        self.subresources = subresources
        self.preferred = preferred
    }

    public var gvr: GroupVersionResource { GroupVersionResource(group: group, version: version, resource: name) }
    public var groupVersion: String { gvr.groupVersion }
    /// `deployments.apps` (just `configmaps` for core).
    public var groupResource: String { group.isEmpty ? name : "\(name).\(group)" }
}
