import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Host, user and process facts recorded in snapshots, keys and locks.
enum SystemInfo {
    static var hostName: String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count) == 0 else { return "" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static var userName: String { OwnerNames().currentUser }

    static var uid: UInt32 { UInt32(getuid()) }
    static var gid: UInt32 { UInt32(getgid()) }
    static var pid: Int { Int(getpid()) }

    /// True when a process with this PID exists on this host.
    static func processExists(_ pid: Int) -> Bool {
        if kill(pid_t(pid), 0) == 0 { return true }
        return errno == EPERM
    }
}

/// Caches uid → user name and gid → group name lookups for one operation.
final class OwnerNames: Sendable {
    init() {}

    /// The user name of the current process.
    var currentUser: String { name(ofUser: getuid()) ?? "" }

    private let userCache = Mutex<[UInt32: String?]>([:])
    private let groupCache = Mutex<[UInt32: String?]>([:])

    /// The user name of `uid`, or nil when unknown (cached).
    func name(ofUser uid: uid_t) -> String? {
        if let cached = userCache.withLock({ $0[UInt32(uid)] }) { return cached }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 4096)
        var name: String?
        if getpwuid_r(uid, &pwd, &buf, buf.count, &result) == 0, result != nil, let p = pwd.pw_name {
            name = String(cString: p)
        }
        userCache.withLock { $0[UInt32(uid)] = .some(name) }
        return name
    }

    /// The group name of `gid`, or nil when unknown (cached).
    func name(ofGroup gid: gid_t) -> String? {
        if let cached = groupCache.withLock({ $0[UInt32(gid)] }) { return cached }
        var grp = group()
        var result: UnsafeMutablePointer<group>?
        var buf = [CChar](repeating: 0, count: 4096)
        var name: String?
        if getgrgid_r(gid, &grp, &buf, buf.count, &result) == 0, result != nil, let p = grp.gr_name {
            name = String(cString: p)
        }
        groupCache.withLock { $0[UInt32(gid)] = .some(name) }
        return name
    }
}
