package import Kubernetes

/// A velero.io custom resource: `apiVersion`, `kind`, `metadata`, `spec`, `status`, and the JSON it was read
/// from.
///
/// Decoding keeps the whole object (``preserved``); encoding writes the typed fields over it, so a
/// read-modify-write never drops fields a newer Velero added (at the top level, in `metadata`, `spec`, `status`
/// or any nested struct). A typed field set to `nil` removes its key. Conforming types forward `init(from:)` and
/// `encode(to:)` to ``init(resourceFrom:)`` and ``encodeResource(to:)``.
///
/// ```swift
/// var backup = try object.value.decode(as: Backup.self)
/// backup.spec.ttl = "72h0m0s"
/// _ = try await client.update(Backup.resource, namespace: "velero", KubeObject(try JSONValue(encoding: backup))!)
/// ```
package protocol VeleroResource: Codable, Sendable, Hashable {
    /// The spec type.
    associatedtype Spec: Codable, Sendable, Hashable
    /// The status type.
    associatedtype Status: Codable, Sendable, Hashable

    /// The kind's names (group, version, kind, plural).
    static var kindInfo: CustomResourceKind { get }

    /// `velero.io/v1` or `velero.io/v2alpha1`.
    var apiVersion: String { get set }
    /// The kind, e.g. `Backup`.
    var kind: String { get set }
    /// Object metadata.
    var metadata: ObjectMeta { get set }
    /// The desired state.
    var spec: Spec { get set }
    /// The observed state.
    var status: Status? { get set }
    /// The JSON the object was decoded from (`nil` value for objects built in code).
    var preserved: PreservedJSON { get set }

    /// An object with `apiVersion` and `kind` set from ``kindInfo``.
    init(metadata: ObjectMeta, spec: Spec, status: Status?)
}

extension VeleroResource {
    /// The resource, e.g. `velero.io/v1` `backups`.
    package static var resource: GroupVersionResource { kindInfo.resource }

    /// The object's name (empty when unset).
    package var name: String { metadata.name ?? "" }

    /// Decodes the typed fields and keeps the whole object in ``preserved``.
    ///
    /// A missing `spec` decodes as an empty object (so it throws only when the spec has required fields).
    package init(resourceFrom decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ResourceCodingKeys.self)
        let metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        let spec =
            try container.decodeIfPresent(Spec.self, forKey: .spec) ?? JSONValue.object([:]).decode(as: Spec.self)
        let status = try container.decodeIfPresent(Status.self, forKey: .status)
        self.init(metadata: metadata, spec: spec, status: status)
        if let apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) {
            self.apiVersion = apiVersion
        }
        if let kind = try container.decodeIfPresent(String.self, forKey: .kind) { self.kind = kind }
        preserved = PreservedJSON(try JSONValue(from: decoder))
    }

    /// Encodes the typed fields over the preserved JSON (see ``VeleroResource``).
    package func encodeResource(to encoder: any Encoder) throws {
        var typed: JSONObject = [
            "apiVersion": .string(apiVersion), "kind": .string(kind),
            "metadata": try JSONValue(encoding: metadata), "spec": try JSONValue(encoding: spec),
        ]
        if let status { typed["status"] = try JSONValue(encoding: status) }
        guard case .object(let before) = preserved.value else {
            try JSONValue.object(typed).encode(to: encoder)
            return
        }
        let shapes: [String: Any] = [
            "apiVersion": apiVersion, "kind": kind, "metadata": metadata, "spec": spec, "status": status as Any,
        ]
        let result = JSONOverlay.merge(before, typed, shapes: shapes)
        try JSONValue.object(result).encode(to: encoder)
    }

    /// The object as a ``KubeObject`` (for the client's create and update).
    package func kubeObject() throws -> KubeObject {
        let value = try JSONValue(encoding: self)
        guard let object = KubeObject(value) else {
            throw VeleroAPIError(code: .invalidObject, message: "\(kind) \(name) did not encode as an object")
        }
        return object
    }

    /// Decodes an object read from the cluster.
    package init(_ object: KubeObject) throws {
        self = try object.value.decode(as: Self.self)
    }
}

/// The top-level keys of every velero.io object.
enum ResourceCodingKeys: String, CodingKey {
    case apiVersion, kind, metadata, spec, status
}
