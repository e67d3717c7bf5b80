import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Whether a restored folder holds what was backed up: every entry of both trees compared by type, permission
/// bits, and for files size, modification time (to the nanosecond) and every byte; for symbolic links the target.
/// Directories' times are not compared (restoring a directory's contents changes them until its own time is
/// set last, which tools do differently).
struct TreeComparison {
    /// One entry, from `lstat`.
    struct Entry: Equatable {
        var status: FileStatus
        var link: String?

        var type: UInt32 { status.type }
        var size: Int { status.isRegularFile ? status.size : 0 }

        static func == (a: Entry, b: Entry) -> Bool {
            a.status.type == b.status.type && a.link == b.link
                && (a.status.isSymbolicLink || a.status.permissions == b.status.permissions)
                && a.size == b.size
                && (!a.status.isRegularFile
                    || (a.status.modifiedSeconds == b.status.modifiedSeconds
                        && a.status.modifiedNanoseconds == b.status.modifiedNanoseconds))
        }
    }

    /// What differs, one line each (relative paths), at most `limit` of them.
    var differences: [String] = []
    /// How many entries differ in all.
    var count = 0
    /// Entries and bytes compared.
    var entries = 0
    var bytes = 0

    private static let limit = 10

    /// Compares `restored` with `source`, skipping the relative paths in `ignoring` (and what is below them).
    static func compare(source: String, restored: String, ignoring: Set<String> = []) throws -> TreeComparison {
        let expected = try list(source, ignoring: [])
        let found = try list(restored, ignoring: ignoring)
        var result = TreeComparison()
        func note(_ line: String) {
            result.count += 1
            if result.differences.count < limit { result.differences.append(line) }
        }
        for path in expected.keys.sorted() {
            guard let want = expected[path] else { continue }
            result.entries += 1
            guard let have = found[path] else {
                note("\(path): missing")
                continue
            }
            if want != have {
                note("\(path): \(describe(want)) restored as \(describe(have))")
            } else if want.status.isRegularFile {
                if let offset = try firstDifference(source + "/" + path, restored + "/" + path) {
                    note("\(path): contents differ at byte \(offset)")
                }
                result.bytes += want.size
            }
        }
        for path in found.keys.sorted() where expected[path] == nil { note("\(path): not in the source") }
        return result
    }

    /// Reads every file below `root` once (to start each tool's first backup from the same page cache).
    static func readAll(_ root: String) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for (path, entry) in try list(root, ignoring: []) where entry.status.isRegularFile {
            let fd = open(root + "/" + path, O_RDONLY)
            guard fd >= 0 else { throw failure("open", root + "/" + path) }
            defer { close(fd) }
            while try readFull(fd, &buffer, path: path) > 0 {}
        }
    }

    /// Every entry below `root` by relative path.
    static func list(_ root: String, ignoring: Set<String>) throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        var folders = [""]
        while let folder = folders.popLast() {
            let absolute = folder.isEmpty ? root : root + "/" + folder
            for name in try FileManager.default.contentsOfDirectory(atPath: absolute) {
                let path = folder.isEmpty ? name : folder + "/" + name
                if ignoring.contains(path) { continue }
                guard let status = FileStatus.of(root + "/" + path) else { throw failure("lstat", root + "/" + path) }
                var link: String?
                if status.isSymbolicLink {
                    link = try FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + path)
                }
                entries[path] = Entry(status: status, link: link)
                if status.isDirectory { folders.append(path) }
            }
        }
        return entries
    }

    /// The offset of the first byte that differs between two files of the same size, nil when they are equal.
    private static func firstDifference(_ a: String, _ b: String) throws -> Int? {
        let first = open(a, O_RDONLY)
        guard first >= 0 else { throw failure("open", a) }
        defer { close(first) }
        let second = open(b, O_RDONLY)
        guard second >= 0 else { throw failure("open", b) }
        defer { close(second) }
        var left = [UInt8](repeating: 0, count: 1 << 20)
        var right = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while true {
            let n = try readFull(first, &left, path: a)
            let m = try readFull(second, &right, path: b)
            if n != m || memcmp(left, right, n) != 0 {
                let same = zip(left.prefix(min(n, m)), right.prefix(min(n, m))).prefix { $0 == $1 }.count
                return offset + same
            }
            if n == 0 { return nil }
            offset += n
        }
    }

    /// Fills `buffer` from `fd` unless the file ends first; returns the bytes read (0 at the end).
    private static func readFull(_ fd: Int32, _ buffer: inout [UInt8], path: String) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { bytes in
                guard let base = bytes.baseAddress else { return 0 }
                return read(fd, base + filled, bytes.count - filled)
            }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure("read", path) }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    private static func describe(_ entry: Entry) -> String {
        let status = entry.status
        let kind =
            status.isRegularFile ? "file" : status.isDirectory ? "folder" : status.isSymbolicLink ? "link" : "special"
        var text = "\(kind) mode \(String(status.isSymbolicLink ? 0 : status.permissions, radix: 8))"
        if status.isRegularFile {
            text += " size \(entry.size) mtime \(entry.status.modifiedSeconds).\(entry.status.modifiedNanoseconds)"
        }
        if let link = entry.link { text += " -> \(link)" }
        return text
    }

    private static func failure(_ call: String, _ path: String) -> any Error {
        ValidationError("\(call) \(path): \(String(cString: strerror(errno)))")
    }
}
