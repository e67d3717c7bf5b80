import Crypto
import Kubernetes

/// Minimal OpenAPI v3 documents: for each served group version, the item paths of every resource with a
/// PATCH operation that carries `x-kubernetes-group-version-kind` and the `fieldValidation` query
/// parameter. That is what kubectl 1.32 needs to run `apply` with server-side field validation. No
/// schemas are published (kubectl then computes strategic merge patches from its compiled-in types,
/// and JSON merge patches for custom resources); `kubectl explain` therefore has nothing to show.
struct OpenAPIDocuments: Sendable {
    let types: [ResourceType]

    private var groupVersions: [String] {
        var seen: [String] = []
        for type in types where !seen.contains(type.groupVersion) { seen.append(type.groupVersion) }
        return seen
    }

    private static func path(_ groupVersion: String) -> String {
        groupVersion.contains("/") ? "apis/\(groupVersion)" : "api/\(groupVersion)"
    }

    /// `/openapi/v3`.
    var index: JSONValue {
        var paths: JSONObject = [:]
        for groupVersion in groupVersions {
            let path = Self.path(groupVersion)
            let hash = Self.hash(document(for: path) ?? .null)
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(hash)")]
        }
        return ["paths": .object(paths)]
    }

    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/{group}/{version}`.
    func document(for path: String) -> JSONValue? {
        let selected = types.filter { Self.path($0.groupVersion) == path }
        guard !selected.isEmpty else { return nil }
        var paths: JSONObject = [:]
        for type in selected {
            let collection =
                type.namespaced
                ? "\(type.pathPrefix)/namespaces/{namespace}/\(type.plural)" : "\(type.pathPrefix)/\(type.plural)"
            let gvk: JSONValue = [
                "group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind),
            ]
            let query: [JSONValue] = ["dryRun", "fieldManager", "fieldValidation", "force"].map {
                ["name": .string($0), "in": "query", "schema": ["type": "string", "uniqueItems": true]]
            }
            let content: JSONObject = [
                "application/json-patch+json": ["schema": ["type": "object"]],
                "application/merge-patch+json": ["schema": ["type": "object"]],
                "application/apply-patch+yaml": ["schema": ["type": "object"]],
            ]
            paths["\(collection)/{name}"] = [
                "patch": [
                    "operationId": .string("patch\(type.kind)"),
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": .array(query),
                    "requestBody": ["content": .object(content), "required": true],
                    "responses": ["200": ["description": "OK"]],
                ]
            ]
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes (Lifeboat sandbox)", "version": "v1.32.0"],
            "paths": .object(paths), "components": ["schemas": [:]],
        ]
    }

    private static func hash(_ value: JSONValue) -> String {
        SHA512.hash(data: value.encoded()).map { byte in
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined()
    }
}
