import Kubernetes
import NIOCore

/// An object about to be written, encoded once outside the store's lock with a placeholder where the
/// resourceVersion goes; the store splices the real number in while it holds the lock.
struct PreparedObject: Sendable {
    static let marker = "__lifeboat_sandbox_resource_version__"
    private static let markerBytes = Array("\"__lifeboat_sandbox_resource_version__\"".utf8)

    /// The decoded object (for index fields and for responses that need it).
    var object: JSONValue
    private var head: ByteBuffer
    private var tail: ByteBuffer

    /// Encodes `object` without `kind`/`apiVersion`, with `metadata.resourceVersion` as a placeholder.
    init(_ object: JSONValue) {
        var stripped = object
        if case .object(var members) = stripped {
            stripped = .null
            members.removeValue(forKey: "kind")
            members.removeValue(forKey: "apiVersion")
            if case .object(var metadata)? = members["metadata"] {
                members["metadata"] = .null
                metadata["resourceVersion"] = .string(Self.marker)
                members["metadata"] = .object(metadata)
            }
            stripped = .object(members)
        }
        self.object = object
        var buffer = ByteBuffer()
        stripped.write(into: &buffer)
        let bytes = buffer.readableBytesView
        if let range = Self.firstRange(of: Self.markerBytes, in: bytes) {
            head = buffer.getSlice(at: buffer.readerIndex, length: range.lowerBound - bytes.startIndex)!
            tail = buffer.getSlice(at: range.upperBound, length: bytes.endIndex - range.upperBound)!
        } else {
            head = buffer
            tail = ByteBuffer()
        }
    }

    /// The stored form with `resourceVersion` filled in.
    func stored(resourceVersion: Int64) -> StoredObject {
        var body = ByteBuffer()
        body.reserveCapacity(head.readableBytes + tail.readableBytes + 24)
        body.writeImmutableBuffer(head)
        if tail.readableBytes > 0 || head.readableBytes == 0 {
            body.writeString("\"\(resourceVersion)\"")
        }
        body.writeImmutableBuffer(tail)
        return StoredObject(body: body, resourceVersion: resourceVersion, object: object)
    }

    /// The object with a given resourceVersion (for dry-run answers).
    func withResourceVersion(_ value: String) -> JSONValue {
        var object = self.object
        object[path: ["metadata", "resourceVersion"]] = .string(value)
        return object
    }

    private static func firstRange(of needle: [UInt8], in haystack: ByteBufferView) -> Range<Int>? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            if haystack[index] == first {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return index..<(index + needle.count) }
            }
            index += 1
        }
        return nil
    }
}
