/// Strings held compactly for tables with an entry per backed-up object (a million of them in a large cluster):
/// the few distinct ones (group-resources, namespaces, versions, kinds) are interned and named by a 32-bit
/// index, and the many distinct ones (object names) are appended to one byte buffer and named by their place in it.
/// A Swift `String` of more than 15 bytes is a heap object of its own; this keeps such a name at its length plus
/// eight bytes.
struct CompactStrings: Sendable {
    /// A string in the byte buffer.
    struct Span: Sendable, Hashable {
        var start: UInt32
        var length: UInt32
    }

    /// Interned strings; index 0 is no value (`nil`).
    private var interned: [String] = [""]
    private var internedIndex: [String: UInt32] = [:]
    private var bytes: [UInt8] = []

    /// The index of an interned string (0 for `nil`).
    mutating func intern(_ value: String?) -> UInt32 {
        guard let value else { return 0 }
        if let known = internedIndex[value] { return known }
        let index = UInt32(interned.count)
        interned.append(value)
        internedIndex[value] = index
        return index
    }

    /// The number of interned indexes (index 0, no value, included).
    var internedCount: Int { interned.count }

    /// The index `value` was interned at, if it was.
    func index(of value: String) -> UInt32? { internedIndex[value] }

    /// An interned string (`nil` for index 0).
    func interned(_ index: UInt32) -> String? { index == 0 ? nil : interned[Int(index)] }

    /// Appends `value` to the byte buffer.
    mutating func append(_ value: String) -> Span {
        let start = bytes.count
        bytes.append(contentsOf: value.utf8)
        return Span(start: UInt32(truncatingIfNeeded: start), length: UInt32(truncatingIfNeeded: bytes.count - start))
    }

    /// The bytes of a span.
    func bytes(_ span: Span) -> ArraySlice<UInt8> {
        let start = Int(span.start)
        return bytes[start..<start + Int(span.length)]
    }

    /// A span's string.
    func string(_ span: Span) -> String { String(decoding: bytes(span), as: UTF8.self) }

    /// Whether a span holds `value`.
    func equals(_ span: Span, _ value: String) -> Bool { bytes(span).elementsEqual(value.utf8) }
}
