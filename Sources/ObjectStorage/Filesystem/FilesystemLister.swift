import struct Foundation.Date

/// Walks the folder of a `FilesystemObjectStore` to produce a sorted listing (blocking; run it on a thread pool).
///
/// Only the folder that holds the prefix is read. With delimiter `/`, sub-folders are rolled up
/// without descending into them (a folder only counts if it holds at least one object); with no
/// delimiter, or another one, the walk is recursive.
struct FilesystemLister: Sendable {
    let root: String
    let prefix: String
    let delimiter: String?

    func entries() throws -> [ObjectListEntry] {
        // The folder part of the prefix ("backups/b1/x" → "backups/b1/").
        let folderKey: String
        if let slash = prefix.lastIndex(of: "/") {
            folderKey = String(prefix[...slash])
        } else {
            folderKey = ""
        }
        let folderPath = folderKey.isEmpty ? root : root + "/" + String(folderKey.dropLast())
        var infos: [ObjectInfo] = []
        if delimiter == "/" {
            var rollup = ListingRollup(prefix: prefix, delimiter: delimiter)
            for name in try sortedNames(in: folderPath) {
                let key = folderKey + name.name
                guard key.utf8.starts(with: prefix.utf8) else { continue }
                let path = folderPath + "/" + name.name
                guard let st = try POSIXFile.status(path) else { continue }
                if st.isDirectory {
                    if try containsObject(path) {
                        rollup.add(ObjectInfo(key: key + "/", size: 0))
                    }
                } else if st.isRegular {
                    rollup.add(info(key, st))
                }
            }
            return rollup.entries
        }
        try walk(folderPath, key: folderKey, into: &infos)
        return ListingRollup.list(infos, prefix: prefix, delimiter: delimiter)
    }

    private struct Name {
        var name: String
        var sortKey: String
    }

    /// Entries of a folder in S3 order (a folder sorts as `name/`), temporary files skipped.
    private func sortedNames(in path: String) throws -> [Name] {
        try POSIXFile.directoryEntries(path).compactMap { name -> Name? in
            if name.hasPrefix(FilesystemObjectStore.temporaryPrefix) { return nil }
            let isDir = (try? POSIXFile.status(path + "/" + name)).flatMap { $0.map(\.isDirectory) } ?? false
            return Name(name: name, sortKey: isDir ? name + "/" : name)
        }.sorted { ObjectKey.precedes($0.sortKey, $1.sortKey) }
    }

    private func walk(_ path: String, key: String, into infos: inout [ObjectInfo]) throws {
        for name in try POSIXFile.directoryEntries(path) {
            if name.hasPrefix(FilesystemObjectStore.temporaryPrefix) { continue }
            let childKey = key + name
            // Skip subtrees that cannot match the prefix.
            let childUTF8 = childKey.utf8
            let prefixUTF8 = prefix.utf8
            guard childUTF8.starts(with: prefixUTF8) || prefixUTF8.starts(with: childUTF8) else { continue }
            let childPath = path + "/" + name
            guard let st = try POSIXFile.status(childPath) else { continue }
            if st.isDirectory {
                try walk(childPath, key: childKey + "/", into: &infos)
            } else if st.isRegular, childUTF8.starts(with: prefixUTF8) {
                infos.append(info(childKey, st))
            }
        }
    }

    private func containsObject(_ path: String) throws -> Bool {
        for name in try POSIXFile.directoryEntries(path) {
            if name.hasPrefix(FilesystemObjectStore.temporaryPrefix) { continue }
            guard let st = try POSIXFile.status(path + "/" + name) else { continue }
            if st.isRegular { return true }
            if st.isDirectory, try containsObject(path + "/" + name) { return true }
        }
        return false
    }

    private func info(_ key: String, _ st: POSIXFile.Status) -> ObjectInfo {
        ObjectInfo(key: key, size: st.size, lastModified: Date(timeIntervalSince1970: st.modified))
    }
}
