/// One entry of a tree: a file, directory, symlink or special file with its metadata.
///
/// Field names and encoding follow restic's `Node` (see `Node+JSON.swift`).
package struct Node: Sendable, Hashable {
    /// The kinds of nodes restic knows.
    package enum Kind: String, Sendable, Hashable {
        case file, dir, symlink, dev, chardev, fifo, socket, irregular
    }

    /// The name as raw bytes (may be invalid UTF-8).
    package var nameBytes: [UInt8]
    package var type: Kind
    /// Go `os.FileMode` bits (permissions plus type flags), see `GoFileMode`.
    package var mode: UInt32 = 0
    package var mtime = GoTime(seconds: 0, nanoseconds: 0)
    package var atime = GoTime(seconds: 0, nanoseconds: 0)
    package var ctime = GoTime(seconds: 0, nanoseconds: 0)
    package var uid: UInt32 = 0
    package var gid: UInt32 = 0
    package var user = ""
    package var group = ""
    package var inode: UInt64 = 0
    package var deviceID: UInt64 = 0
    package var size: UInt64 = 0
    package var links: UInt64 = 0
    /// Symlink target bytes.
    package var linkTarget: [UInt8] = []
    package var extendedAttributes: [ExtendedAttribute] = []
    /// st_rdev for device nodes.
    package var device: UInt64 = 0
    /// Data blob IDs of a file; `nil` (JSON `null`) for non-files.
    package var content: [BlobID]?
    /// Tree ID of a directory.
    package var subtree: BlobID?
    /// An error recorded while reading the item.
    package var error = ""

    package init(nameBytes: [UInt8], type: Kind) {
        self.nameBytes = nameBytes
        self.type = type
    }

    /// The name for display (invalid UTF-8 replaced).
    package var name: String { String(decoding: nameBytes, as: UTF8.self) }

    /// POSIX permission bits plus setuid/setgid/sticky, from the Go mode.
    package var posixPermissions: UInt32 { GoFileMode.posixPermissions(mode) }
}

/// An extended attribute of a node.
package struct ExtendedAttribute: Sendable, Hashable {
    package var name: String
    package var value: [UInt8]
    package init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// Go's `os.FileMode` bit layout.
enum GoFileMode {
    static let dir: UInt32 = 1 << 31
    static let symlink: UInt32 = 1 << 27
    static let device: UInt32 = 1 << 26
    static let namedPipe: UInt32 = 1 << 25
    static let socket: UInt32 = 1 << 24
    static let setuid: UInt32 = 1 << 23
    static let setgid: UInt32 = 1 << 22
    static let charDevice: UInt32 = 1 << 21
    static let sticky: UInt32 = 1 << 20
    static let irregular: UInt32 = 1 << 19

    /// Converts a POSIX `st_mode` to Go's mode bits.
    static func from(posix m: UInt32) -> UInt32 {
        var mode = m & 0o777
        switch m & 0o170000 {
        case 0o040000: mode |= dir
        case 0o120000: mode |= symlink
        case 0o060000: mode |= device
        case 0o020000: mode |= device | charDevice
        case 0o010000: mode |= namedPipe
        case 0o140000: mode |= socket
        default: break
        }
        if m & 0o4000 != 0 { mode |= setuid }
        if m & 0o2000 != 0 { mode |= setgid }
        if m & 0o1000 != 0 { mode |= sticky }
        return mode
    }

    /// Permission bits for chmod from Go mode bits.
    static func posixPermissions(_ mode: UInt32) -> UInt32 {
        var m = mode & 0o777
        if mode & setuid != 0 { m |= 0o4000 }
        if mode & setgid != 0 { m |= 0o2000 }
        if mode & sticky != 0 { m |= 0o1000 }
        return m
    }
}
