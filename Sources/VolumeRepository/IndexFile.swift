import Foundation

/// One index file: which blobs live in which packs (`index/<id>`).
package struct IndexFile: Sendable {
    package struct Pack: Sendable {
        package var id: BlobID
        package var blobs: [PackEntry]
        package init(id: BlobID, blobs: [PackEntry]) {
            self.id = id
            self.blobs = blobs
        }
    }

    package var supersedes: [BlobID] = []
    package var packs: [Pack] = []

    package init(packs: [Pack] = [], supersedes: [BlobID] = []) {
        self.packs = packs
        self.supersedes = supersedes
    }

    /// JSON as restic writes it.
    package func encoded() -> [UInt8] {
        var json = GoJSON(capacity: 256 + packs.reduce(0) { $0 + 100 + $1.blobs.count * 180 })
        json.beginObject()
        if !supersedes.isEmpty { json.stringArray("supersedes", supersedes.map(\.hex)) }
        json.key("packs")
        json.beginArray()
        for pack in packs {
            json.beginObject()
            json.field("id", pack.id.hex)
            json.key("blobs")
            json.beginArray()
            for b in pack.blobs {
                json.beginObject()
                json.field("id", b.id.hex)
                json.field("type", b.type.name)
                json.field("offset", UInt64(b.offset))
                json.field("length", UInt64(b.length))
                if let u = b.uncompressedLength { json.field("uncompressed_length", UInt64(u)) }
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    private struct JSONForm: Decodable {
        struct Blob: Decodable {
            var id: String
            var type: String
            var offset: Int
            var length: Int
            var uncompressed_length: Int?
        }
        struct Pack: Decodable {
            var id: String
            var blobs: [Blob]?
        }
        var supersedes: [String]?
        var packs: [Pack]?
    }

    /// Decodes index JSON; `name` is used in error messages.
    package init(decoding bytes: [UInt8], name: String) throws {
        if let fast = try? JSONScanner.indexFile(bytes) {
            self = fast
            return
        }
        try self.init(referenceDecoding: bytes, name: name)
    }

    /// Decodes index JSON with `JSONDecoder` (the reference, and the one that explains malformed files).
    init(referenceDecoding bytes: [UInt8], name: String) throws {
        let form: JSONForm
        do {
            form = try JSONDecoder().decode(JSONForm.self, from: Data(bytes))
        } catch {
            throw RepositoryError(code: .corrupt, message: "index \(name): invalid JSON", cause: error)
        }
        supersedes = (form.supersedes ?? []).compactMap(BlobID.init(hex:))
        packs = try (form.packs ?? []).map { p in
            guard let pid = BlobID(hex: p.id) else {
                throw RepositoryError(code: .corrupt, message: "index \(name): invalid pack ID \"\(p.id)\"")
            }
            let blobs = try (p.blobs ?? []).map { b -> PackEntry in
                guard let bid = BlobID(hex: b.id), b.type == "data" || b.type == "tree" else {
                    throw RepositoryError(
                        code: .corrupt,
                        message: "index \(name): invalid blob \"\(b.id)\" (\(b.type)) in pack \(p.id)"
                    )
                }
                return PackEntry(
                    type: b.type == "data" ? .data : .tree,
                    id: bid,
                    offset: b.offset,
                    length: b.length,
                    uncompressedLength: b.uncompressed_length
                )
            }
            return Pack(id: pid, blobs: blobs)
        }
    }
}
