import Foundation

/// A snapshot (`snapshots/<id>`): the root tree of one backup plus who, where and when.
public struct Snapshot: Sendable, Hashable {
    public var time: GoTime
    public var parent: BlobID?
    public var tree: BlobID
    public var paths: [String]
    public var hostname: String = ""
    public var username: String = ""
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var excludes: [String] = []
    public var tags: [String] = []
    public var original: BlobID?
    public var programVersion: String = ""

    public init(time: GoTime, tree: BlobID, paths: [String]) {
        self.time = time
        self.tree = tree
        self.paths = paths
    }

    func encoded() -> [UInt8] {
        var json = GoJSON()
        json.beginObject()
        json.field("time", time.description)
        if let parent { json.field("parent", parent.hex) }
        json.field("tree", tree.hex)
        json.stringArray("paths", paths)
        if !hostname.isEmpty { json.field("hostname", hostname) }
        if !username.isEmpty { json.field("username", username) }
        if uid != 0 { json.field("uid", UInt64(uid)) }
        if gid != 0 { json.field("gid", UInt64(gid)) }
        if !excludes.isEmpty { json.stringArray("excludes", excludes) }
        if !tags.isEmpty { json.stringArray("tags", tags) }
        if let original { json.field("original", original.hex) }
        if !programVersion.isEmpty { json.field("program_version", programVersion) }
        json.endObject()
        return json.bytes
    }

    private struct JSONForm: Decodable {
        var time: String
        var parent: String?
        var tree: String?
        var paths: [String]?
        var hostname: String?
        var username: String?
        var uid: UInt32?
        var gid: UInt32?
        var excludes: [String]?
        var tags: [String]?
        var original: String?
        var program_version: String?
    }

    init(decoding bytes: [UInt8], name: String) throws {
        let form: JSONForm
        do {
            form = try JSONDecoder().decode(JSONForm.self, from: Data(bytes))
        } catch {
            throw RepositoryError(code: .corrupt, message: "snapshot \(name): invalid JSON", cause: error)
        }
        guard let t = form.time as String?, let time = GoTime(rfc3339: t) else {
            throw RepositoryError(code: .corrupt, message: "snapshot \(name): invalid time \"\(form.time)\"")
        }
        guard let treeHex = form.tree, let tree = BlobID(hex: treeHex) else {
            throw RepositoryError(code: .corrupt, message: "snapshot \(name): missing or invalid tree")
        }
        self.init(time: time, tree: tree, paths: form.paths ?? [])
        parent = form.parent.flatMap(BlobID.init(hex:))
        hostname = form.hostname ?? ""
        username = form.username ?? ""
        uid = form.uid ?? 0
        gid = form.gid ?? 0
        excludes = form.excludes ?? []
        tags = form.tags ?? []
        original = form.original.flatMap(BlobID.init(hex:))
        programVersion = form.program_version ?? ""
    }
}

/// A snapshot with its ID.
public struct SnapshotEntry: Sendable, Hashable {
    public var id: BlobID
    public var snapshot: Snapshot
}
