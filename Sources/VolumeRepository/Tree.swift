import Foundation

/// A directory listing: nodes sorted by name bytes, stored as a tree blob.
package struct Tree: Sendable, Hashable {
    package var nodes: [Node]

    package init(nodes: [Node] = []) { self.nodes = nodes }

    /// Sorts nodes by name bytes, as restic requires.
    mutating func sort() {
        nodes.sort { $0.nameBytes.lexicographicallyPrecedes($1.nameBytes) }
    }

    /// The blob bytes: `{"nodes":[…]}` plus a newline, exactly as restic writes them.
    package func encoded() -> [UInt8] {
        var json = GoJSON(capacity: 64 + nodes.count * 400)
        json.beginObject()
        json.key("nodes")
        json.beginArray()
        for node in nodes { node.encode(into: &json) }
        json.endArray()
        json.endObject()
        json.bytes.append(0x0a)
        return json.bytes
    }

    private struct TreeJSON: Decodable {
        var nodes: [NodeJSON]?
    }

    /// Decodes tree blob bytes.
    package init(decoding bytes: [UInt8]) throws {
        if let nodes = try? JSONScanner.treeNodes(bytes) {
            self.init(nodes: nodes)
        } else {
            try self.init(referenceDecoding: bytes)
        }
    }

    /// Decodes tree blob bytes with `JSONDecoder` (handles every field and escape; slower).
    init(referenceDecoding bytes: [UInt8]) throws {
        let decoded: TreeJSON
        do {
            decoded = try JSONDecoder().decode(TreeJSON.self, from: Data(bytes))
        } catch {
            throw RepositoryError(code: .corrupt, message: "tree blob is not valid tree JSON", cause: error)
        }
        nodes = try (decoded.nodes ?? []).map { try $0.node() }
    }

    /// The node with the given name.
    package func node(named name: [UInt8]) -> Node? {
        nodes.first { $0.nameBytes == name }
    }
}
