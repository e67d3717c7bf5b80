import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, blocking POSIX helpers used by `FilesystemObjectStore` on the NIO thread pool.
enum POSIXFile {
    static var pool: NIOThreadPool { NIOThreadPool.singleton }

    /// Runs blocking work off the cooperative pool.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    static func errnoError(_ what: String, _ path: String, code: ObjectStoreError.Code = .io) -> ObjectStoreError {
        let err = errno
        let text = String(cString: strerror(err))
        return ObjectStoreError(code: code, message: "\(what) \(path): \(text) (errno \(err))")
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) -> Int32 {
        path.withCString { cPath in retryingEINTR { Glibc_open(cPath, flags, mode) } }
    }

    static func retryingEINTR(_ body: () -> Int32) -> Int32 {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// Writes all of `buffer` to `fd`.
    static func writeAll(_ fd: Int32, _ buffer: ByteBuffer, path: String) throws {
        try buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw errnoError("cannot write", path)
                }
                offset += n
            }
        }
    }

    /// fsyncs the directory at `path` so a rename in it is durable.
    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw errnoError("cannot open folder", path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw errnoError("cannot sync folder", path) }
    }

    /// What `stat(2)` says about a file, in Swift types.
    struct Status: Sendable {
        var isDirectory: Bool
        var isRegular: Bool
        var size: Int
        /// Modification time in seconds since 1970.
        var modified: Double

        init(_ st: stat) {
            isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
            isRegular = (st.st_mode & S_IFMT) == S_IFREG
            size = Int(st.st_size)
            #if canImport(Darwin)
            modified = Double(st.st_mtimespec.tv_sec) + Double(st.st_mtimespec.tv_nsec) / 1e9
            #else
            modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
            #endif
        }
    }

    /// `stat` of `path`, or `nil` when it does not exist.
    static func status(_ path: String) throws -> Status? {
        var st = stat()
        let rc = path.withCString { stat($0, &st) }
        if rc == 0 { return Status(st) }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw errnoError("cannot stat", path)
    }

    /// `fstat` of an open file.
    static func status(fd: Int32, path: String) throws -> Status {
        var st = stat()
        if fstat(fd, &st) != 0 { throw errnoError("cannot stat", path) }
        return Status(st)
    }

    /// Names in the directory at `path` (without `.` and `..`); empty when it does not exist.
    static func directoryEntries(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT || errno == ENOTDIR { return [] }
            throw errnoError("cannot read folder", path)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

#if canImport(Darwin)
private func Glibc_open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    Darwin.open(path, flags, mode)
}
#elseif canImport(Musl)
private func Glibc_open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    Musl.open(path, flags, mode)
}
#else
private func Glibc_open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    Glibc.open(path, flags, mode)
}
#endif
