/// Validation of object keys, shared by every backend.
///
/// A valid key is non-empty, at most 1,024 UTF-8 bytes, does not start with `/`, contains no NUL,
/// no empty segment (`a//b`, trailing `/`) and no `.` or `..` segment. The same rules apply to
/// every backend so that a layout written to a folder can be copied to S3 and back.
public enum ObjectKey {
    /// The longest key accepted, in UTF-8 bytes (S3's limit).
    public static let maxLength = 1024

    /// Throws `.invalidKey`, naming the key and the reason, unless `key` is valid.
    public static func validate(_ key: String) throws {
        if let reason = problem(with: key) {
            throw ObjectStoreError(code: .invalidKey, message: "invalid object key \(quoted(key)): \(reason)")
        }
    }

    /// Why `key` is invalid, or `nil` when it is valid.
    public static func problem(with key: String) -> String? {
        if key.isEmpty { return "the key is empty" }
        if key.utf8.count > maxLength { return "the key is longer than \(maxLength) bytes" }
        if key.utf8.contains(0) { return "the key contains a NUL byte" }
        if key.hasPrefix("/") { return "the key is absolute (starts with '/')" }
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return "the key has an empty path segment" }
            if segment == "." || segment == ".." { return "the key has a '\(segment)' path segment" }
        }
        return nil
    }

    /// Validates a listing prefix: empty, or a key prefix (may end with `/`) without NUL, `..` or a leading `/`.
    public static func validatePrefix(_ prefix: String) throws {
        if prefix.isEmpty { return }
        var candidate = prefix
        if candidate.hasSuffix("/") { candidate.removeLast() }
        if let reason = problem(with: candidate) {
            throw ObjectStoreError(code: .invalidKey, message: "invalid listing prefix \(quoted(prefix)): \(reason)")
        }
    }

    /// `key` in quotes with control characters escaped, for error messages.
    static func quoted(_ key: String) -> String {
        var out = "\""
        for scalar in key.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// S3 orders keys by their UTF-8 bytes; every backend lists in this order.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
