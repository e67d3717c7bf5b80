public import struct Foundation.Date

/// What a store knows about one object without reading it.
public struct ObjectInfo: Sendable, Hashable {
    public var key: String
    public var size: Int
    public var lastModified: Date?
    public var etag: String?

    public init(key: String, size: Int, lastModified: Date? = nil, etag: String? = nil) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.etag = etag
    }
}
