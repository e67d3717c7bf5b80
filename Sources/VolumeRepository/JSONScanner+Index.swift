/// A direct parser for index file JSON (`{"supersedes":[…],"packs":[{"id":…,"blobs":[…]}]}`).
///
/// Every command that opens a repository loads all index files first, so for a no-change backup this
/// is on the critical path. Unknown keys are skipped, as `JSONDecoder` does; anything else unexpected
/// (a bad ID or type, a fraction) throws, and `IndexFile(decoding:name:)` falls back to the reference
/// decoder, which names the problem.
extension JSONScanner {
    static func indexFile(_ bytes: [UInt8]) throws -> IndexFile {
        try scan(bytes) { p in
            var index = IndexFile()
            try p.object { p, key in
                switch String(decoding: key, as: UTF8.self) {
                case "supersedes":
                    if try p.null() { return }
                    try p.array { p in index.supersedes.append(try p.blobID()) }
                case "packs":
                    if try p.null() { return }
                    try p.array { p in index.packs.append(try p.indexPack()) }
                default:
                    try p.skipValue()
                }
            }
            return index
        }
    }

    private mutating func blobID() throws -> BlobID {
        guard let id = BlobID(hexBytes: try string()) else { throw Malformed() }
        return id
    }

    private mutating func indexPack() throws -> IndexFile.Pack {
        var id: BlobID?
        var blobs: [PackEntry] = []
        try object { p, key in
            switch String(decoding: key, as: UTF8.self) {
            case "id": id = try p.blobID()
            case "blobs":
                if try p.null() { return }
                try p.array { p in blobs.append(try p.indexBlob()) }
            default: try p.skipValue()
            }
        }
        guard let id else { throw Malformed() }
        return IndexFile.Pack(id: id, blobs: blobs)
    }

    private mutating func indexBlob() throws -> PackEntry {
        var id: BlobID?
        var type: BlobType?
        var offset: Int?
        var length: Int?
        var uncompressedLength: Int?
        try object { p, key in
            switch String(decoding: key, as: UTF8.self) {
            case "id": id = try p.blobID()
            case "type":
                switch String(decoding: try p.string(), as: UTF8.self) {
                case "data": type = .data
                case "tree": type = .tree
                default: throw Malformed()
                }
            case "offset": offset = try p.int()
            case "length": length = try p.int()
            case "uncompressed_length": uncompressedLength = try p.null() ? nil : try p.int()
            default: try p.skipValue()
            }
        }
        guard let id, let type, let offset, let length else { throw Malformed() }
        return PackEntry(type: type, id: id, offset: offset, length: length, uncompressedLength: uncompressedLength)
    }

    private mutating func int() throws -> Int {
        guard let value = Int(exactly: try unsigned()) else { throw Malformed() }
        return value
    }
}
