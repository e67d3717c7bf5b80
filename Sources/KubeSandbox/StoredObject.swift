import Kubernetes
import NIOCore

/// Position of an object inside its collection: sorted by namespace, then name (like etcd keys).
struct ObjectKey: Hashable, Comparable, Sendable {
    var namespace: String
    var name: String

    static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        lhs.namespace == rhs.namespace ? lhs.name < rhs.name : lhs.namespace < rhs.namespace
    }

    /// `namespace/name`, or `name` for cluster-scoped objects.
    var path: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
}

/// An object as stored: its JSON bytes (without `kind`/`apiVersion`, which the type supplies) and the few
/// fields that selectors, garbage collection and the controllers look at without decoding.
///
/// Lists, gets and watch events splice ``body`` into responses without re-encoding.
struct StoredObject: Sendable {
    /// The object's JSON without `kind` and `apiVersion`, starting with `{`.
    var body: ByteBuffer
    var resourceVersion: Int64
    var uid: String
    var labels: [String: String]
    /// Field values for field selectors beyond name/namespace (`status.phase`, `spec.nodeName`).
    var fields: [String: String]
    var ownerUIDs: [String]
    var finalizers: [String]
    var deleting: Bool

    /// Extracts the index fields from a decoded object.
    init(body: ByteBuffer, resourceVersion: Int64, object: JSONValue) {
        self.body = body
        self.resourceVersion = resourceVersion
        let metadata = object["metadata"]
        uid = metadata?["uid"]?.stringValue ?? ""
        var labels: [String: String] = [:]
        for (key, value) in metadata?["labels"]?.objectValue ?? [:] {
            if let string = value.stringValue { labels[key] = string }
        }
        self.labels = labels
        var fields: [String: String] = [:]
        if let phase = object["status"]?["phase"]?.stringValue { fields["status.phase"] = phase }
        if let node = object["spec"]?["nodeName"]?.stringValue { fields["spec.nodeName"] = node }
        if let type = object["type"]?.stringValue { fields["type"] = type }
        if case .object(let involved)? = object["involvedObject"] {  // core/v1 events
            for (key, value) in involved {
                if let text = value.stringValue { fields["involvedObject.\(key)"] = text }
            }
            if let reason = object["reason"]?.stringValue { fields["reason"] = reason }
        }
        self.fields = fields
        ownerUIDs = (metadata?["ownerReferences"]?.arrayValue ?? []).compactMap { $0["uid"]?.stringValue }
        finalizers = (metadata?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
        deleting = metadata?["deletionTimestamp"].map { !$0.isNull } ?? false
    }

    /// The full object JSON with `kind` and `apiVersion` of `type` first.
    func fullJSON(_ type: ResourceType) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(body.readableBytes + 64)
        write(into: &buffer, type: type, withTypeMeta: true)
        return buffer
    }

    /// Appends the object to `buffer`, with or without `kind`/`apiVersion`.
    func write(into buffer: inout ByteBuffer, type: ResourceType, withTypeMeta: Bool) {
        guard withTypeMeta else {
            buffer.writeImmutableBuffer(body)
            return
        }
        buffer.writeBytes(type.objectPrefix)
        let rest = body.getSlice(at: body.readerIndex + 1, length: body.readableBytes - 1) ?? ByteBuffer()
        if rest.readableBytes == 1 {  // "{}" body: drop the trailing comma of the prefix
            buffer.moveWriterIndex(to: buffer.writerIndex - 1)
        }
        buffer.writeImmutableBuffer(rest)
    }

    /// Decodes the full object (with `kind`/`apiVersion` of `type`).
    func decode(_ type: ResourceType) throws -> JSONValue {
        var object = try JSONValue(parsing: body)
        if case .object(var members) = object {
            object = .null
            members.updateValue(.string(type.apiVersion), forKey: "apiVersion", insertingAt: 0)
            members.updateValue(.string(type.kind), forKey: "kind", insertingAt: 0)
            object = .object(members)
        }
        return object
    }
}
