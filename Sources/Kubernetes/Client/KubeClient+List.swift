import NIOHTTP1

extension KubeClient {
    /// Lists one page (or everything when `options.limit` is nil).
    public func list(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        options: ListOptions = ListOptions()
    ) async throws -> ObjectList {
        let request = KubeRequest(
            method: .GET,
            path: resource.path(namespace: namespace),
            query: options.query,
            verb: "list",
            what: Self.describe(resource, namespace: namespace, name: nil)
        )
        return ObjectList(try JSONValue(parsing: try await send(request).body))
    }

    /// The pages of a list, following `continue` tokens (`options.limit` is the page size, default 500).
    ///
    /// An expired continue token (410) ends the sequence with a ``KubeError`` `.gone`: start again.
    public func listPages(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        options: ListOptions = ListOptions()
    ) -> ListPages {
        var options = options
        if options.limit == nil { options.limit = 500 }
        return ListPages(client: self, resource: resource, namespace: namespace, options: options)
    }

    /// Every object of a paginated list, one at a time.
    public func listObjects(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        options: ListOptions = ListOptions()
    ) -> ListObjects {
        ListObjects(pages: listPages(resource, namespace: namespace, options: options))
    }
}

/// The pages of a list, fetched lazily one request per page.
public struct ListPages: AsyncSequence, Sendable {
    public typealias Element = ObjectList
    let client: KubeClient
    let resource: GroupVersionResource
    let namespace: String?
    let options: ListOptions

    public struct AsyncIterator: AsyncIteratorProtocol {
        let client: KubeClient
        let resource: GroupVersionResource
        let namespace: String?
        var options: ListOptions
        var done = false

        public mutating func next() async throws -> ObjectList? {
            guard !done else { return nil }
            let page = try await client.list(resource, namespace: namespace, options: options)
            if let token = page.continueToken {
                options.continueToken = token
                // the continue token pins the snapshot; the RV options must not be sent again
                options.resourceVersion = nil
                options.resourceVersionMatch = nil
            } else {
                done = true
            }
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(client: client, resource: resource, namespace: namespace, options: options)
    }
}

/// The objects of a paginated list.
public struct ListObjects: AsyncSequence, Sendable {
    public typealias Element = KubeObject
    let pages: ListPages

    public struct AsyncIterator: AsyncIteratorProtocol {
        var pages: ListPages.AsyncIterator
        var buffer: [KubeObject] = []
        var index = 0

        public mutating func next() async throws -> KubeObject? {
            while index >= buffer.count {
                guard let page = try await pages.next() else { return nil }
                buffer = page.items
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pages: pages.makeAsyncIterator()) }
}
