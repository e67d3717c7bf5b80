#if canImport(Glibc)
import Glibc
#endif

/// What `lstat` says about a path, read in a file that does not import Foundation: in a release (whole-module)
/// build the compiler attributes `stat`'s and `timespec`'s members to CoreFoundation, which Foundation re-exports,
/// and MemberImportVisibility then rejects them in files that import Foundation.
struct FileStatus: Sendable, Equatable {
    /// The `S_IFMT` bits.
    var type: UInt32
    /// The permission bits (`0o7777`).
    var permissions: UInt32
    var size: Int
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int

    var isRegularFile: Bool { type == UInt32(S_IFREG) }
    var isSymbolicLink: Bool { type == UInt32(S_IFLNK) }
    var isDirectory: Bool { type == UInt32(S_IFDIR) }

    /// `lstat` of `path`; nil with `errno` set when it fails.
    static func of(_ path: String) -> FileStatus? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileStatus(
            type: UInt32(info.st_mode & S_IFMT),
            permissions: UInt32(info.st_mode & 0o7777),
            size: Int(info.st_size),
            modifiedSeconds: Int(info.st_mtim.tv_sec),
            modifiedNanoseconds: Int(info.st_mtim.tv_nsec)
        )
    }
}
