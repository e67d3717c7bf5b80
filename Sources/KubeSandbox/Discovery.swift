import Crypto
import Foundation
import Kubernetes

/// The discovery documents (legacy APIVersions / APIGroupList / APIGroup / APIResourceList and the
/// aggregated APIGroupDiscoveryList in v2 and v2beta1), built from the registry's current types.
struct Discovery: Sendable {
    let types: [ResourceType]
    let serverAddress: String

    /// Served groups in discovery order with their versions (preferred first).
    var groups: [(name: String, versions: [String])] {
        var order: [String] = []
        var versions: [String: [String]] = [:]
        for type in types where !type.group.isEmpty {
            if versions[type.group] == nil { order.append(type.group) }
            if !(versions[type.group]?.contains(type.version) ?? false) {
                versions[type.group, default: []].append(type.version)
            }
        }
        return order.map { ($0, (versions[$0] ?? []).sorted(by: Self.versionPriority)) }
    }

    /// kube-aware version ordering: GA before beta before alpha, higher numbers first.
    static func versionPriority(_ a: String, _ b: String) -> Bool {
        func rank(_ v: String) -> (Int, Int, Int) {
            let scanner = v.dropFirst()
            let major = Int(scanner.prefix { $0.isNumber }) ?? 0
            let rest = scanner.drop { $0.isNumber }
            if rest.isEmpty { return (3, major, 0) }
            if rest.hasPrefix("beta") { return (2, major, Int(rest.dropFirst(4)) ?? 0) }
            if rest.hasPrefix("alpha") { return (1, major, Int(rest.dropFirst(5)) ?? 0) }
            return (0, major, 0)
        }
        let (x, y) = (rank(a), rank(b))
        return x.0 != y.0 ? x.0 > y.0 : (x.1 != y.1 ? x.1 > y.1 : x.2 > y.2)
    }

    // MARK: - Legacy documents

    var apiVersions: JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    var apiGroupList: JSONValue {
        ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map { Self.group($0.name, $0.versions) })]
    }

    func apiGroup(_ name: String) -> JSONValue? {
        guard let entry = groups.first(where: { $0.name == name }) else { return nil }
        var group = Self.group(entry.name, entry.versions).objectValue ?? [:]
        group.updateValue("APIGroup", forKey: "kind", insertingAt: 0)
        group.updateValue("v1", forKey: "apiVersion", insertingAt: 1)
        return .object(group)
    }

    private static func group(_ name: String, _ versions: [String]) -> JSONValue {
        let entries: [JSONValue] = versions.map { ["groupVersion": .string("\(name)/\($0)"), "version": .string($0)] }
        return ["name": .string(name), "versions": .array(entries), "preferredVersion": entries.first ?? .null]
    }

    func resourceList(groupVersion: String) -> JSONValue? {
        let selected = types.filter { $0.groupVersion == groupVersion }
        guard !selected.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for type in selected.sorted(by: { $0.plural < $1.plural }) {
            var entry: JSONObject = [
                "name": .string(type.plural), "singularName": .string(type.singular),
                "namespaced": .bool(type.namespaced), "kind": .string(type.kind),
                "verbs": .array(type.verbs.map { .string($0) }),
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map { .string($0) }) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map { .string($0) }) }
            entry["storageVersionHash"] = .string(Self.storageVersionHash(type))
            resources.append(.object(entry))
            for sub in subresources(type) {
                var entry: JSONObject = [:]
                entry["name"] = .string("\(type.plural)/\(sub.name)")
                entry["singularName"] = ""
                entry["namespaced"] = .bool(type.namespaced)
                if let group = sub.group { entry["group"] = .string(group) }
                if let version = sub.version { entry["version"] = .string(version) }
                entry["kind"] = .string(sub.kind)
                entry["verbs"] = .array(sub.verbs.map { .string($0) })
                resources.append(.object(entry))
            }
        }
        var list: JSONObject = ["kind": "APIResourceList"]
        if groupVersion.contains("/") { list["apiVersion"] = "v1" }
        list["groupVersion"] = .string(groupVersion)
        list["resources"] = .array(resources)
        return .object(list)
    }

    /// Like the real server's: base64 of the first 8 bytes of SHA-256 over "group/version/kind".
    static func storageVersionHash(_ type: ResourceType) -> String {
        let digest = Array(SHA256.hash(data: Array("\(type.group)/\(type.version)/\(type.kind)".utf8)))
        return Data(digest.prefix(8)).base64EncodedString()
    }

    private struct Subresource {
        var name: String
        var kind: String
        var group: String?
        var version: String?
        var verbs: [String]
    }

    private func subresources(_ type: ResourceType) -> [Subresource] {
        var result: [Subresource] = []
        if type.group.isEmpty && type.plural == "namespaces" {
            result.append(Subresource(name: "finalize", kind: type.kind, verbs: ["update"]))
        }
        if type.hasScale {
            result.append(
                Subresource(
                    name: "scale",
                    kind: "Scale",
                    group: "autoscaling",
                    version: "v1",
                    verbs: ["get", "patch", "update"]
                )
            )
        }
        if type.hasStatus {
            result.append(Subresource(name: "status", kind: type.kind, verbs: ["get", "patch", "update"]))
        }
        return result
    }

    // MARK: - Aggregated discovery

    /// The APIGroupDiscoveryList for `/api` (core) or `/apis` (groups), in `version` v2 or v2beta1.
    func aggregated(core: Bool, version: String) -> JSONValue {
        var items: [JSONValue] = []
        if core {
            items.append(["metadata": ["creationTimestamp": nil], "versions": [aggregatedVersion("", "v1")]])
        } else {
            for group in groups {
                items.append(
                    [
                        "metadata": ["name": .string(group.name), "creationTimestamp": nil],
                        "versions": .array(group.versions.map { aggregatedVersion(group.name, $0) }),
                    ])
            }
        }
        return [
            "kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(version)"),
            "metadata": [:], "items": .array(items),
        ]
    }

    private func aggregatedVersion(_ group: String, _ version: String) -> JSONValue {
        let selected = types.filter { $0.group == group && $0.version == version }.sorted { $0.plural < $1.plural }
        let resources: [JSONValue] = selected.map { type in
            var entry: JSONObject = [
                "resource": .string(type.plural),
                "responseKind": ["group": "", "version": "", "kind": .string(type.kind)],
                "scope": type.namespaced ? "Namespaced" : "Cluster", "singularResource": .string(type.singular),
                "verbs": .array(type.verbs.map { .string($0) }),
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map { .string($0) }) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map { .string($0) }) }
            let subs = subresources(type)
            if !subs.isEmpty {
                entry["subresources"] = .array(
                    subs.map { sub in
                        [
                            "subresource": .string(sub.name),
                            "responseKind": [
                                "group": .string(sub.group ?? ""), "version": .string(sub.version ?? ""),
                                "kind": .string(sub.kind),
                            ],
                            "verbs": .array(sub.verbs.map { .string($0) }),
                        ]
                    }
                )
            }
            return .object(entry)
        }
        return ["version": .string(version), "resources": .array(resources), "freshness": "Current"]
    }
}

extension JSONValue {
    /// The object without members whose value is null.
    func compactingNulls() -> JSONValue {
        guard case .object(let members) = self else { return self }
        return .object(members.filter { !$0.value.isNull })
    }
}
