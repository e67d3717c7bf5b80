import Foundation

/// A snapshot (`snapshots/<id>`): the root tree of one backup plus who, where and when.
package struct Snapshot: Sendable, Hashable {
    package var time: GoTime
    package var parent: BlobID?
    package var tree: BlobID
    package var paths: [String]
    package var hostname: String = ""
    package var username: String = ""
    package var uid: UInt32 = 0
    package var gid: UInt32 = 0
    package var excludes: [String] = []
    package var tags: [String] = []
    package var original: BlobID?
    package var programVersion: String = ""

    package init(time: GoTime, tree: BlobID, paths: [String]) {
        self.time = time
        self.tree = tree
        self.paths = paths
    }

    package func encoded() -> [UInt8] {
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

    package init(decoding bytes: [UInt8], name: String) throws {
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
package struct SnapshotEntry: Sendable, Hashable {
    package var id: BlobID
    package var snapshot: Snapshot
}
