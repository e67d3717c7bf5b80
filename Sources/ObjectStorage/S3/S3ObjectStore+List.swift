import NIOCore
import NIOHTTP1

extension S3ObjectStore {
    /// One ListObjectsV2 page, with objects and common prefixes merged in key order.
    func listPage(prefix: String, delimiter: String?, token: String?) async throws -> ObjectListing.Page {
        var query = [("list-type", "2"), ("max-keys", "1000")]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter, !delimiter.isEmpty { query.append(("delimiter", delimiter)) }
        if let token { query.append(("continuation-token", token)) }
        let response = try await send(S3Request(method: .GET, key: nil, query: query))
        let text = response.text
        var entries: [ObjectListEntry] = []
        for contents in S3XML.elements("Contents", in: text) {
            guard let key = S3XML.value("Key", in: contents) else { continue }
            let size = S3XML.value("Size", in: contents).flatMap { Int($0) } ?? 0
            entries.append(
                .object(
                    ObjectInfo(
                        key: key,
                        size: size,
                        lastModified: S3XML.value("LastModified", in: contents).flatMap(UTCDateFormat.parseISO8601),
                        etag: S3XML.value("ETag", in: contents)
                    )
                )
            )
        }
        for common in S3XML.elements("CommonPrefixes", in: text) {
            if let value = S3XML.value("Prefix", in: common) { entries.append(.commonPrefix(value)) }
        }
        entries.sort { ObjectKey.precedes(ListingPager.name(of: $0), ListingPager.name(of: $1)) }
        let truncated = S3XML.value("IsTruncated", in: text) == "true"
        let next = truncated ? S3XML.value("NextContinuationToken", in: text) : nil
        if truncated && next == nil {
            throw ObjectStoreError(
                code: .http,
                message: "ListObjectsV2 on \(bucketDescription) is truncated but has no continuation token"
            )
        }
        return (entries, next)
    }
}
