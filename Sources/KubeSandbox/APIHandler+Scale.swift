import Foundation
import HTTPTypes
import Hummingbird
import Kubernetes
import NIOCore

extension APIHandler {
    /// The `scale` subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets, StatefulSets and custom
    /// resources that declare one: GET reads `spec.replicas`, `status.replicas` and the selector; PUT and PATCH
    /// (JSON, merge or strategic merge, which for a Scale is a merge) write `spec.replicas` through the main
    /// endpoint, so `metadata.generation` moves and the controllers see the change.
    func handleScale(
        _ request: Request,
        _ route: APIRoute.ResourceRoute,
        options: WriteOptions
    ) async throws(APIStatus) -> Response {
        let type = route.type
        guard let name = route.name else { throw APIStatus.methodNotAllowed }
        let key = ObjectKey(namespace: type.namespaced ? (route.namespace ?? "") : "", name: name)
        switch request.method {
        case .get:
            return Self.json(Self.scale(of: try current(type, key), type: type))
        case .put:
            let body = try await readObject(request, type: type)
            return Self.json(try await writeScale(type, key, body, options: options))
        case .patch:
            guard let patchType = PatchType(contentType: request.headers[.contentType] ?? "") else {
                throw APIStatus.unsupportedMediaType
            }
            let text = String(buffer: try await readBody(request))
            let patch: JSONValue
            do { patch = try JSONValue(parsing: text) } catch {
                throw APIStatus.badRequest("error decoding patch: \(SandboxCore.describe(error))")
            }
            for _ in 0..<5 {
                let scale = Self.scale(of: try current(type, key), type: type)
                let patched: JSONValue
                do {
                    switch patchType {
                    case .json: patched = try JSONPatch(json: patch).apply(to: scale)
                    case .merge, .strategic: patched = JSONMergePatch.apply(patch, to: scale)
                    case .apply, .applyCBOR: throw APIStatus.unsupportedMediaType
                    }
                } catch let status as APIStatus {
                    throw status
                } catch {
                    throw APIStatus.badRequest("\(SandboxCore.describe(error))")
                }
                do throws(APIStatus) {
                    return Self.json(try await writeScale(type, key, patched, options: options))
                } catch {
                    // Another writer won (the patch itself set no resourceVersion): patch the newer object.
                    let unchanged = patched["metadata"]?["resourceVersion"] == scale["metadata"]?["resourceVersion"]
                    guard error.code == 409, unchanged else { throw error }
                }
            }
            throw APIStatus.conflict(type, name: name)
        default:
            throw APIStatus.methodNotAllowed
        }
    }

    /// The object as stored.
    private func current(_ type: ResourceType, _ key: ObjectKey) throws(APIStatus) -> JSONValue {
        guard let stored = core.store.get(type.storageKey, key) else { throw APIStatus.notFound(type, name: key.name) }
        return try core.decodeStored(stored, type)
    }

    /// Writes a Scale's `spec.replicas` into the object (honouring its `resourceVersion` precondition) and
    /// returns the Scale of the result.
    private func writeScale(
        _ type: ResourceType,
        _ key: ObjectKey,
        _ scale: JSONValue,
        options: WriteOptions
    ) async throws(APIStatus) -> JSONValue {
        if let kind = scale["kind"]?.stringValue, !kind.isEmpty, kind != "Scale" {
            throw APIStatus.badRequest("the object provided is unrecognized (must be of type Scale): \(kind)")
        }
        if let named = scale["metadata"]?["name"]?.stringValue, !named.isEmpty, named != key.name {
            throw APIStatus.badRequest(
                "the name of the object (\(named)) does not match the name on the URL (\(key.name))"
            )
        }
        let replicas = scale["spec"]?["replicas"]?.intValue ?? 0
        guard replicas >= 0 else {
            throw APIStatus.invalid(
                Self.scaleType(type),
                name: key.name,
                causes: [
                    (
                        "spec.replicas", "FieldValueInvalid",
                        "Invalid value: \(replicas): must be greater than or equal to 0"
                    )
                ]
            )
        }
        var object = try current(type, key)
        if let version = scale["metadata"]?["resourceVersion"]?.stringValue, !version.isEmpty {
            object[path: ["metadata", "resourceVersion"]] = .string(version)
        }
        object[path: Self.replicasPath(type)] = .int(replicas)
        let result = try await core.update(
            type,
            namespace: type.namespaced ? key.namespace : nil,
            name: key.name,
            object: object,
            subresource: nil,
            options: options
        )
        let written: JSONValue
        switch result.body {
        case .json(let value): written = value
        case .bytes(let buffer):
            do { written = try JSONValue(parsing: buffer) } catch {
                throw APIStatus.internalError("the written object does not decode: \(error)")
            }
        }
        return Self.scale(of: written, type: type)
    }

    /// The Scale of an object: its identity, `spec.replicas`, `status.replicas` and the selector's text.
    static func scale(of object: JSONValue, type: ResourceType) -> JSONValue {
        var metadata: JSONObject = [:]
        for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let value = object["metadata"]?[field] { metadata[field] = value }
        }
        var spec: JSONObject = [:]
        if let replicas = object[path: replicasPath(type)]?.intValue, replicas != 0 {
            spec["replicas"] = .int(replicas)
        }
        var status: JSONObject = ["replicas": .int(object["status"]?["replicas"]?.intValue ?? 0)]
        if let selector = try? LabelSelector(json: object["spec"]?["selector"]), !selector.isEmpty {
            status["selector"] = .string(selector.description)
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(metadata), "spec": .object(spec),
            "status": .object(status),
        ]
    }

    private static func replicasPath(_ type: ResourceType) -> [String] { ["spec", "replicas"] }

    /// The type errors about a Scale name (`Scale.autoscaling`).
    private static func scaleType(_ type: ResourceType) -> ResourceType {
        var scale = type
        scale.kind = "Scale"
        scale.group = "autoscaling"
        return scale
    }
}
