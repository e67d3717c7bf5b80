public import Logging

/// One entry of a listing: an object, or a prefix rolled up by the delimiter.
public enum ObjectListEntry: Sendable, Hashable {
    case object(ObjectInfo)
    case commonPrefix(String)
}

/// A listing as an asynchronous sequence of entries, fetched page by page.
///
/// Backends supply a page function: given the continuation token of the previous page
/// (`nil` for the first), it returns entries and the next token (`nil` when done).
public struct ObjectListing: AsyncSequence, Sendable {
    public typealias Element = ObjectListEntry
    public typealias Failure = any Error

    public typealias Page = (entries: [ObjectListEntry], next: String?)
    private var fetch: @Sendable (String?) async throws -> Page
    private var transform: (@Sendable (ObjectListEntry) -> ObjectListEntry?)?

    public init(fetch: @escaping @Sendable (String?) async throws -> Page) {
        self.fetch = fetch
        self.transform = nil
    }

    /// The same listing with each entry rewritten by `transform`; entries for which it returns `nil` are dropped.
    public func compactMap(_ transform: @escaping @Sendable (ObjectListEntry) -> ObjectListEntry?) -> ObjectListing {
        var copy = self
        if let previous = self.transform {
            copy.transform = { previous($0).flatMap(transform) }
        } else {
            copy.transform = transform
        }
        return copy
    }

    /// The same listing, each page fetch retried under `policy`.
    public func retrying(_ policy: RetryPolicy, logger: Logger? = nil) -> ObjectListing {
        var copy = self
        let fetch = self.fetch
        copy.fetch = { token in try await policy.run("LIST page", logger: logger) { try await fetch(token) } }
        return copy
    }

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let fetch: @Sendable (String?) async throws -> Page
        let transform: (@Sendable (ObjectListEntry) -> ObjectListEntry?)?
        var buffer: [ObjectListEntry] = []
        var index = 0
        var token: String?
        var started = false
        var done = false

        public mutating func next() async throws -> ObjectListEntry? {
            while true {
                while index >= buffer.count {
                    if done { return nil }
                    if started && token == nil {
                        done = true
                        return nil
                    }
                    let page = try await fetch(token)
                    started = true
                    buffer = page.entries
                    index = 0
                    token = page.next
                    if token == nil && buffer.isEmpty {
                        done = true
                        return nil
                    }
                }
                let entry = buffer[index]
                index += 1
                guard let transform else { return entry }
                if let mapped = transform(entry) { return mapped }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(fetch: fetch, transform: transform)
    }
}
