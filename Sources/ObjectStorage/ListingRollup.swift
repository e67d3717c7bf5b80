/// Turns keys sorted in S3 order into listing entries: filters by prefix and rolls keys that
/// contain the delimiter after the prefix up into common prefixes, as S3's ListObjectsV2 does.
struct ListingRollup {
    let prefix: String
    let delimiter: String?
    private(set) var entries: [ObjectListEntry] = []
    private var lastPrefix: String?

    init(prefix: String, delimiter: String?) {
        self.prefix = prefix
        self.delimiter = (delimiter?.isEmpty ?? true) ? nil : delimiter
    }

    /// Adds the next object (in sorted order).
    mutating func add(_ info: ObjectInfo) {
        let key = Array(info.key.utf8)
        let prefixBytes = Array(prefix.utf8)
        guard key.starts(with: prefixBytes) else { return }
        if let delimiter {
            let rest = key[prefixBytes.count...]
            if let end = Self.endOfFirst(Array(delimiter.utf8), in: rest) {
                let common = String(decoding: key[..<end], as: UTF8.self)
                if common != lastPrefix {
                    lastPrefix = common
                    entries.append(.commonPrefix(common))
                }
                return
            }
        }
        entries.append(.object(info))
    }

    /// The index just past the first occurrence of `needle` in `haystack`.
    private static func endOfFirst(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var i = haystack.startIndex
        while i + needle.count <= haystack.endIndex {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i + needle.count }
            i += 1
        }
        return nil
    }

    /// Lists `infos` (any order) under `prefix`, sorted by key bytes.
    static func list(_ infos: [ObjectInfo], prefix: String, delimiter: String?) -> [ObjectListEntry] {
        var rollup = ListingRollup(prefix: prefix, delimiter: delimiter)
        for info in infos.sorted(by: { ObjectKey.precedes($0.key, $1.key) }) { rollup.add(info) }
        return rollup.entries
    }
}
