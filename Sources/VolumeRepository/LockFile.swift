import Foundation

/// A lock file (`locks/<id>`), as restic writes it.
struct LockFile: Sendable {
    var time: GoTime
    var exclusive: Bool
    var hostname: String
    var username: String
    var pid: Int
    var uid: UInt32
    var gid: UInt32

    /// restic: a lock older than 30 minutes is stale.
    static let staleAge: Int64 = 30 * 60

    static func current(exclusive: Bool) -> LockFile {
        LockFile(
            time: .now(),
            exclusive: exclusive,
            hostname: SystemInfo.hostName,
            username: SystemInfo.userName,
            pid: SystemInfo.pid,
            uid: SystemInfo.uid,
            gid: SystemInfo.gid
        )
    }

    /// restic's stale rule: older than 30 minutes, or on this host with a process that no longer exists.
    func isStale(now: GoTime = .now(), hostName: String = SystemInfo.hostName) -> Bool {
        if now.seconds - time.seconds > Self.staleAge { return true }
        if hostname == hostName && !SystemInfo.processExists(pid) { return true }
        return false
    }

    func encoded() -> [UInt8] {
        var json = GoJSON()
        json.beginObject()
        json.field("time", time.description)
        json.key("exclusive")
        json.bool(exclusive)
        json.field("hostname", hostname)
        json.field("username", username)
        json.key("pid")
        json.int(Int64(pid))
        json.field("uid", UInt64(uid))
        json.field("gid", UInt64(gid))
        json.endObject()
        return json.bytes
    }

    private struct JSONForm: Decodable {
        var time: String
        var exclusive: Bool?
        var hostname: String?
        var username: String?
        var pid: Int?
        var uid: UInt32?
        var gid: UInt32?
    }

    init(time: GoTime, exclusive: Bool, hostname: String, username: String, pid: Int, uid: UInt32, gid: UInt32) {
        (self.time, self.exclusive, self.hostname, self.username) = (time, exclusive, hostname, username)
        (self.pid, self.uid, self.gid) = (pid, uid, gid)
    }

    init(decoding bytes: [UInt8], name: String) throws {
        guard let form = try? JSONDecoder().decode(JSONForm.self, from: Data(bytes)), let t = GoTime(rfc3339: form.time)
        else {
            throw RepositoryError(code: .corrupt, message: "lock \(name): invalid JSON")
        }
        self.init(
            time: t,
            exclusive: form.exclusive ?? false,
            hostname: form.hostname ?? "",
            username: form.username ?? "",
            pid: form.pid ?? 0,
            uid: form.uid ?? 0,
            gid: form.gid ?? 0
        )
    }
}
