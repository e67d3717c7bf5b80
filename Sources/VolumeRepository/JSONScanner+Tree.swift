/// A direct parser for tree blob JSON (`{"nodes":[…]}`).
///
/// Trees are parsed for every directory of every incremental backup, restore and check, so this is on
/// the hot path of a no-change backup. It skips unknown top-level keys (e.g. `generic_attributes`) and
/// leaves rare node fields (extended attributes, raw link targets) to `Tree(decoding:)`'s fallback.
extension JSONScanner {
    /// Parses tree blob bytes into nodes.
    static func treeNodes(_ bytes: [UInt8]) throws -> [Node] {
        try scan(bytes) { p in
            var nodes: [Node] = []
            try p.object { p, key in
                if key == Array("nodes".utf8) {
                    if try p.null() { return }
                    try p.array { p in nodes.append(try p.node()) }
                } else {
                    try p.skipValue()
                }
            }
            return nodes
        }
    }

    // MARK: nodes

    private mutating func node() throws -> Node {
        var node = Node(nameBytes: [], type: .file)
        var name: [UInt8]?
        var type: Node.Kind?
        var linkTargetRaw: [UInt8]?
        try object { p, key in
            switch String(decoding: key, as: UTF8.self) {
            case "name": name = GoQuote.unquote(try p.string())
            case "type":
                guard let kind = Node.Kind(rawValue: String(decoding: try p.string(), as: UTF8.self)) else {
                    throw Malformed()
                }
                type = kind
            case "mode": node.mode = UInt32(truncatingIfNeeded: try p.unsigned())
            case "mtime": node.mtime = try p.time()
            case "atime": node.atime = try p.time()
            case "ctime": node.ctime = try p.time()
            case "uid": node.uid = UInt32(truncatingIfNeeded: try p.unsigned())
            case "gid": node.gid = UInt32(truncatingIfNeeded: try p.unsigned())
            case "user": node.user = String(decoding: try p.string(), as: UTF8.self)
            case "group": node.group = String(decoding: try p.string(), as: UTF8.self)
            case "inode": node.inode = try p.unsigned()
            case "device_id": node.deviceID = try p.unsigned()
            case "size": node.size = try p.unsigned()
            case "links": node.links = try p.unsigned()
            case "device": node.device = try p.unsigned()
            case "linktarget": node.linkTarget = try p.string()
            case "linktarget_raw": linkTargetRaw = try p.string()
            case "error": node.error = String(decoding: try p.string(), as: UTF8.self)
            case "subtree":
                if try p.null() { return }
                guard let id = BlobID(hexBytes: try p.string()) else { throw Malformed() }
                node.subtree = id
            case "content":
                if try p.null() { return }
                var ids: [BlobID] = []
                try p.array { p in
                    guard let id = BlobID(hexBytes: try p.string()) else { throw Malformed() }
                    ids.append(id)
                }
                node.content = ids
            default:
                // extended_attributes and anything newer: rare, let the reference decoder handle them.
                throw Malformed()
            }
        }
        guard let name, let type else { throw Malformed() }
        if linkTargetRaw != nil { throw Malformed() }  // base64 target: reference decoder
        node.nameBytes = name
        node.type = type
        return node
    }

    private mutating func time() throws -> GoTime {
        guard let t = GoTime(rfc3339: String(decoding: try string(), as: UTF8.self)) else { throw Malformed() }
        return t
    }
}
