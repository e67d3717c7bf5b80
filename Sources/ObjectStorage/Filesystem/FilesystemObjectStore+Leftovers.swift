public import struct Foundation.Date

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FilesystemObjectStore {
    /// Removes the temporary files (`.lifeboat-tmp-*`) that writers killed mid-write left in the folders
    /// under `prefix`, when last modified before `cutoff`. They are never listed or read; this reclaims
    /// their space. Folders are walked without following symbolic links.
    public func removeAbandonedWrites(prefix: String, before cutoff: Date) async throws -> Int {
        // The folder holding every key that starts with `prefix`.
        let folderKey = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
        let start = folderKey.isEmpty ? root : try path(of: folderKey)
        let limit = cutoff.timeIntervalSince1970
        return try await POSIXFile.run {
            var removed = 0
            var folders = [(path: start, key: folderKey.isEmpty ? "" : folderKey + "/")]
            while let (folder, keyPrefix) = folders.popLast() {
                for name in try POSIXFile.directoryEntries(folder) {
                    let path = folder + "/" + name
                    var st = stat()
                    guard lstat(path, &st) == 0 else { continue }
                    let status = POSIXFile.Status(st)
                    let key = keyPrefix + name
                    if status.isDirectory {
                        // Only folders that can hold keys starting with `prefix`.
                        if (key + "/").hasPrefix(prefix) || prefix.hasPrefix(key + "/") {
                            folders.append((path, key + "/"))
                        }
                    } else if status.isRegular, name.hasPrefix(Self.temporaryPrefix), keyPrefix.hasPrefix(prefix),
                        status.modified < limit, unlink(path) == 0
                    {
                        removed += 1
                    }
                }
            }
            return removed
        }
    }
}
