#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin POSIX helpers over byte paths (names may be invalid UTF-8).
enum LocalFS {
    /// `lstat` of a path, or the errno.
    static func lstat(_ path: [UInt8]) -> Result<stat, Errno> {
        var st = stat()
        let rc = path.withCString { Glibc.lstat($0, &st) }
        return rc == 0 ? .success(st) : .failure(Errno(errno))
    }

    /// Names in a directory (without `.` and `..`), unsorted.
    static func readDirectory(_ path: [UInt8]) -> Result<[[UInt8]], Errno> {
        guard let dir = path.withCString({ opendir($0) }) else { return .failure(Errno(errno)) }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        return .success(names)
    }

    static func readLink(_ path: [UInt8]) -> Result<[UInt8], Errno> {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = path.withCString { readlink($0, &buf, 4096) }
        guard n >= 0 else { return .failure(Errno(errno)) }
        return .success(buf[0..<n].map { UInt8(bitPattern: $0) })
    }

    private typealias ListXattr = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int
    private typealias GetXattr =
        @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int) -> Int
    typealias SetXattr =
        @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeRawPointer?, Int, Int32) -> Int32

    /// libc's xattr functions, looked up at run time (sys/xattr.h is not part of the Glibc module).
    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, name) else { return nil }
        return unsafeBitCast(sym, to: type)
    }

    private static let listXattr = symbol("llistxattr", as: ListXattr.self)
    private static let getXattr = symbol("lgetxattr", as: GetXattr.self)
    private static let setXattr = symbol("lsetxattr", as: SetXattr.self)

    /// Extended attributes of a path (not following symlinks). Errors yield an empty list.
    static func extendedAttributes(_ path: [UInt8]) -> [ExtendedAttribute] {
        guard let list = listXattr, let get = getXattr else {
            return []
        }
        let size = path.withCString { list($0, nil, 0) }
        guard size > 0 else { return [] }
        var names = [CChar](repeating: 0, count: size)
        let got = path.withCString { list($0, &names, size) }
        guard got > 0 else { return [] }
        var result: [ExtendedAttribute] = []
        for raw in names[0..<got].split(separator: 0) {
            let name = String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let vsize = path.withCString { p in name.withCString { get(p, $0, nil, 0) } }
            guard vsize >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: max(vsize, 1))
            let vgot = path.withCString { p in
                name.withCString { n in value.withUnsafeMutableBytes { get(p, n, $0.baseAddress, vsize) } }
            }
            guard vgot >= 0 else { continue }
            result.append(ExtendedAttribute(name: name, value: Array(value[0..<vgot])))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// Sets an extended attribute on a path (not following symlinks).
    static func setExtendedAttribute(_ path: [UInt8], _ attr: ExtendedAttribute) -> Errno? {
        guard let set = setXattr else { return Errno(ENOTSUP) }
        let rc = path.withCString { p in
            attr.name.withCString { n in attr.value.withUnsafeBytes { set(p, n, $0.baseAddress, attr.value.count, 0) } }
        }
        return rc == 0 ? nil : Errno(errno)
    }

    static func join(_ dir: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if dir.isEmpty { return name }
        if dir.last == 0x2f { return dir + name }
        return dir + [0x2f] + name
    }
}

/// An errno value with its message and its name, e.g. `Permission denied (EACCES)`, so that a message about an
/// item that could not be read says which errno the system gave.
struct Errno: Error, CustomStringConvertible, Equatable {
    var code: Int32
    init(_ code: Int32) { self.code = code }
    var description: String { "\(String(cString: strerror(code))) (\(name))" }

    /// The errno's symbolic name for the codes file-system calls give, else `errno <code>`.
    var name: String { Self.names[code] ?? "errno \(code)" }

    private static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO", EBADF: "EBADF",
        EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST",
        EXDEV: "EXDEV", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL",
        ENFILE: "ENFILE", EMFILE: "EMFILE", ETXTBSY: "ETXTBSY", EFBIG: "EFBIG", ENOSPC: "ENOSPC",
        ESPIPE: "ESPIPE", EROFS: "EROFS", EMLINK: "EMLINK", ENAMETOOLONG: "ENAMETOOLONG", ENOTEMPTY: "ENOTEMPTY",
        ELOOP: "ELOOP", ENODATA: "ENODATA", EOVERFLOW: "EOVERFLOW", EOPNOTSUPP: "EOPNOTSUPP",
        ESTALE: "ESTALE", EDQUOT: "EDQUOT",
    ]
}

extension Array where Element == UInt8 {
    /// Calls `body` with a NUL-terminated C string of these bytes.
    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var copy = self
        copy.append(0)
        return try copy.withUnsafeBufferPointer { buf in
            try buf.withMemoryRebound(to: CChar.self) { chars in
                // A non-empty buffer (it holds at least the NUL) always has a base address.
                guard let base = chars.baseAddress else { preconditionFailure("empty C string buffer") }
                return try body(base)
            }
        }
    }
}

extension String {
    /// The UTF-8 bytes of a path string.
    var pathBytes: [UInt8] { Array(utf8) }
}
