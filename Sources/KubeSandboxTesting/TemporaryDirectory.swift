public import Foundation

/// Creates a fresh folder under the system's temporary folder, runs `body` with it, and removes it with
/// everything in it, also when `body` throws.
///
/// ```swift
/// try await withTemporaryDirectory { folder in
///     try Data("{}".utf8).write(to: folder.appendingPathComponent("config.json"))
/// }
/// ```
///
/// - Parameters:
///   - prefix: the start of the folder's name (the rest is a UUID).
///   - body: the test, with the folder's URL.
public func withTemporaryDirectory<T>(
    prefix: String = "lifeboat-test",
    isolation: isolated (any Actor)? = #isolation,
    _ body: (URL) async throws -> T
) async throws -> T {
    let url = try makeTemporaryDirectory(prefix: prefix)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// ``withTemporaryDirectory(prefix:isolation:_:)`` for synchronous tests.
public func withTemporaryDirectory<T>(prefix: String = "lifeboat-test", _ body: (URL) throws -> T) throws -> T {
    let url = try makeTemporaryDirectory(prefix: prefix)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

private func makeTemporaryDirectory(prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
