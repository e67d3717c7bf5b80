/// Splits a full, sorted listing into pages whose continuation token is the last entry's name.
enum ListingPager {
    static func name(of entry: ObjectListEntry) -> String {
        switch entry {
        case .object(let info): info.key
        case .commonPrefix(let prefix): prefix
        }
    }

    /// The page of at most `size` entries after the entry named `token` (from the start when `nil`).
    static func page(_ entries: [ObjectListEntry], after token: String?, size: Int) -> ObjectListing.Page {
        var start = entries.startIndex
        if let token {
            start = entries.firstIndex { ObjectKey.precedes(token, name(of: $0)) } ?? entries.endIndex
        }
        let end = min(entries.endIndex, start + size)
        let slice = Array(entries[start..<end])
        let next = end < entries.endIndex ? slice.last.map(name(of:)) : nil
        return (slice, next)
    }
}
