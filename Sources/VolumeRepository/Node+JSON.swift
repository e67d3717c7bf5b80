import Foundation

extension Node {
    /// Appends this node as Go's `encoding/json` would marshal restic's `Node`.
    func encode(into json: inout GoJSON) {
        json.beginObject()
        json.key("name")
        json.stringBytes(GoQuote.quote(nameBytes))
        json.field("type", type.rawValue)
        if mode != 0 { json.field("mode", UInt64(mode)) }
        json.key("mtime")
        json.string(mtime.description)
        json.key("atime")
        json.string(atime.description)
        json.key("ctime")
        json.string(ctime.description)
        json.field("uid", UInt64(uid))
        json.field("gid", UInt64(gid))
        if !user.isEmpty { json.field("user", user) }
        if !group.isEmpty { json.field("group", group) }
        if inode != 0 { json.field("inode", inode) }
        if deviceID != 0 { json.field("device_id", deviceID) }
        if size != 0 { json.field("size", size) }
        if links != 0 { json.field("links", links) }
        if !linkTarget.isEmpty {
            json.key("linktarget")
            json.stringBytes(linkTarget)
            if !UTF8Decoding.isValid(linkTarget) {
                json.field("linktarget_raw", Data(linkTarget).base64EncodedString())
            }
        }
        if !extendedAttributes.isEmpty {
            json.key("extended_attributes")
            json.beginArray()
            for attr in extendedAttributes {
                json.beginObject()
                json.field("name", attr.name)
                json.field("value", Data(attr.value).base64EncodedString())
                json.endObject()
            }
            json.endArray()
        }
        if device != 0 { json.field("device", device) }
        json.key("content")
        if let content {
            json.beginArray()
            for id in content { json.string(id.hex) }
            json.endArray()
        } else {
            json.null()
        }
        if let subtree { json.field("subtree", subtree.hex) }
        if !error.isEmpty { json.field("error", error) }
        json.endObject()
    }
}

/// The decodable shape of a node in tree JSON.
struct NodeJSON: Decodable {
    struct Attribute: Decodable {
        var name: String
        var value: String?
    }
    var name: String
    var type: String
    var mode: UInt32?
    var mtime: String?
    var atime: String?
    var ctime: String?
    var uid: UInt32?
    var gid: UInt32?
    var user: String?
    var group: String?
    var inode: UInt64?
    var device_id: UInt64?
    var size: UInt64?
    var links: UInt64?
    var linktarget: String?
    var linktarget_raw: String?
    var extended_attributes: [Attribute]?
    var device: UInt64?
    var content: [String]?
    var subtree: String?
    var error: String?

    func node() throws -> Node {
        guard let kind = Node.Kind(rawValue: type) else {
            throw RepositoryError(code: .corrupt, message: "tree node \"\(name)\": unknown type \"\(type)\"")
        }
        var node = Node(nameBytes: GoQuote.unquote(Array(name.utf8)), type: kind)
        node.mode = mode ?? 0
        let zero = GoTime(seconds: 0, nanoseconds: 0)
        node.mtime = mtime.flatMap(GoTime.init(rfc3339:)) ?? zero
        node.atime = atime.flatMap(GoTime.init(rfc3339:)) ?? zero
        node.ctime = ctime.flatMap(GoTime.init(rfc3339:)) ?? zero
        node.uid = uid ?? 0
        node.gid = gid ?? 0
        node.user = user ?? ""
        node.group = group ?? ""
        node.inode = inode ?? 0
        node.deviceID = device_id ?? 0
        node.size = size ?? 0
        node.links = links ?? 0
        if let raw = linktarget_raw, let bytes = Data(base64Encoded: raw) {
            node.linkTarget = [UInt8](bytes)
        } else {
            node.linkTarget = Array((linktarget ?? "").utf8)
        }
        node.extendedAttributes = (extended_attributes ?? []).map {
            ExtendedAttribute(
                name: $0.name,
                value: $0.value.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? []
            )
        }
        node.device = device ?? 0
        if let content {
            node.content = try content.map { hex in
                guard let id = BlobID(hex: hex) else {
                    throw RepositoryError(
                        code: .corrupt,
                        message: "tree node \"\(name)\": invalid content ID \"\(hex)\""
                    )
                }
                return id
            }
        }
        if let subtree {
            guard let id = BlobID(hex: subtree) else {
                throw RepositoryError(
                    code: .corrupt,
                    message: "tree node \"\(name)\": invalid subtree ID \"\(subtree)\""
                )
            }
            node.subtree = id
        }
        node.error = error ?? ""
        return node
    }
}
