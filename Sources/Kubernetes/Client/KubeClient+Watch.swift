import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One event of a watch.
public struct WatchEvent: Sendable, Hashable {
    public enum EventType: String, Sendable, Hashable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        /// Progress notification: only metadata.resourceVersion is meaningful.
        case bookmark = "BOOKMARK"
        /// Not a server event: the watch's resourceVersion expired (410 Gone), so the client listed again.
        /// Forget what you know: the events that follow are `added` for every object that exists now.
        /// The object carries the new list's metadata.resourceVersion.
        case restarted = "RESTARTED"
    }
    public var type: EventType
    public var object: KubeObject

    public init(type: EventType, object: KubeObject) {
        self.type = type
        self.object = object
    }
}

/// Options of a watch.
public struct WatchOptions: Sendable, Hashable {
    public var labelSelector: LabelSelector?
    public var fieldSelector: FieldSelector?
    /// Start after this resourceVersion (nil: the server sends ADDED for every current object first).
    public var resourceVersion: String?
    public var allowBookmarks: Bool
    /// Server-side duration of each watch request; the client reconnects from the last seen resourceVersion.
    public var timeoutSeconds: Int?
    /// On 410 Gone, list again and continue (emitting ``WatchEvent/EventType/restarted``); otherwise throw `.gone`.
    public var relistOnExpired: Bool

    public init(
        labelSelector: LabelSelector? = nil,
        fieldSelector: FieldSelector? = nil,
        resourceVersion: String? = nil,
        allowBookmarks: Bool = true,
        timeoutSeconds: Int? = nil,
        relistOnExpired: Bool = true
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowBookmarks = allowBookmarks
        self.timeoutSeconds = timeoutSeconds
        self.relistOnExpired = relistOnExpired
    }
}

extension KubeClient {
    /// What a watch with `options` selects, listed in pages of 500 as an informer's initial list: a
    /// `.restarted` event carrying the list's resourceVersion, then every object as `.added`; and the
    /// resourceVersion to watch from.
    public func listForWatch(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        options: WatchOptions = WatchOptions()
    ) async throws -> (events: [WatchEvent], resourceVersion: String?) {
        let listOptions = ListOptions(
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
            limit: 500
        )
        var items: [KubeObject] = []
        var listRV: String?
        for try await page in listPages(resource, namespace: namespace, options: listOptions) {
            items += page.items
            if listRV == nil { listRV = page.resourceVersion }
        }
        var marker = JSONObject()
        marker["metadata"] = ["resourceVersion": listRV.map(JSONValue.string) ?? .null]
        return (
            [WatchEvent(type: .restarted, object: KubeObject(marker))]
                + items.map { WatchEvent(type: .added, object: $0) }, listRV
        )
    }

    /// Watches a collection: an endless sequence of events that reconnects from the last seen resourceVersion
    /// when the server ends a watch, and lists again on 410 Gone (an HTTP 410 or an ERROR event with code 410).
    /// Stop by leaving the loop or cancelling the task.
    public func watch(
        _ resource: GroupVersionResource,
        namespace: String? = nil,
        options: WatchOptions = WatchOptions()
    ) -> WatchSequence {
        WatchSequence(client: self, resource: resource, namespace: namespace, options: options)
    }
}

/// The events of a watch (see ``KubeClient/watch(_:namespace:options:)``).
public struct WatchSequence: AsyncSequence, Sendable {
    public typealias Element = WatchEvent
    let client: KubeClient
    let resource: GroupVersionResource
    let namespace: String?
    let options: WatchOptions

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(client: client, resource: resource, namespace: namespace, options: options)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let client: KubeClient
        let resource: GroupVersionResource
        let namespace: String?
        let options: WatchOptions
        /// The resourceVersion to resume from.
        public private(set) var resourceVersion: String?
        var body: HTTPClientResponse.Body.AsyncIterator?
        var buffer = ByteBuffer()
        var pending: [WatchEvent] = []
        var pendingIndex = 0
        var failures = 0

        init(client: KubeClient, resource: GroupVersionResource, namespace: String?, options: WatchOptions) {
            self.client = client
            self.resource = resource
            self.namespace = namespace
            self.options = options
            resourceVersion = options.resourceVersion
        }

        public mutating func next() async throws -> WatchEvent? {
            while true {
                try Task.checkCancellation()
                if pendingIndex < pending.count {
                    defer { pendingIndex += 1 }
                    return pending[pendingIndex]
                }
                if let line = takeLine() {
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                    if let event = try await handle(line) { return event }
                    continue
                }
                guard body != nil else {
                    do {
                        try await open()
                    } catch let e as KubeError where e.code == .gone && options.relistOnExpired {
                        try await relist()
                    }
                    continue
                }
                do {
                    if let chunk = try await body?.next() {
                        var chunk = chunk
                        buffer.writeBuffer(&chunk)
                        failures = 0
                    } else {
                        // The server ended this watch (timeoutSeconds): finish the last line, then resume
                        // from the last seen resourceVersion.
                        if buffer.readableBytes > 0 { buffer.writeInteger(UInt8(0x0A)) }
                        body = nil
                    }
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    failures += 1
                    body = nil
                    buffer.clear()
                    if failures >= client.configuration.maxAttempts { throw error }
                    try await Task.sleep(for: client.backoff(attempt: failures))
                }
            }
        }

        private mutating func takeLine() -> [UInt8]? {
            let view = buffer.readableBytesView
            guard let newline = view.firstIndex(of: 0x0A) else { return nil }
            let length = newline - view.startIndex
            let line = buffer.readBytes(length: length) ?? []
            buffer.moveReaderIndex(forwardBy: 1)
            if buffer.readableBytes == 0 { buffer.clear() }
            return line
        }

        private mutating func open() async throws {
            var query: [(String, String)] = [("watch", "1")]
            if let s = options.labelSelector, !s.isEmpty { query.append(("labelSelector", s.description)) }
            if let s = options.fieldSelector, !s.isEmpty { query.append(("fieldSelector", s.description)) }
            if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
            if options.allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
            if let t = options.timeoutSeconds { query.append(("timeoutSeconds", String(t))) }
            let request = KubeRequest(
                method: .GET,
                path: resource.path(namespace: namespace),
                query: query,
                verb: "watch",
                what: KubeClient.describe(resource, namespace: namespace, name: nil),
                timeout: .seconds((options.timeoutSeconds ?? 86_400) + 60)
            )
            let response = try await client.perform(request) { response, _ in response }
            body = response.body.makeAsyncIterator()
            buffer.clear()
        }

        private mutating func relist() async throws {
            (pending, resourceVersion) = try await client.listForWatch(resource, namespace: namespace, options: options)
            pendingIndex = 0
            body = nil
            buffer.clear()
        }

        private mutating func handle(_ line: [UInt8]) async throws -> WatchEvent? {
            let value = try JSONValue(parsing: line)
            let typeName = value["type"]?.stringValue ?? ""
            let objectValue = value["object"] ?? .null
            if typeName == "ERROR" {
                let status = KubeStatus(object: objectValue.objectValue ?? [:], fallbackCode: 500)
                let error = KubeError.fromResponse(
                    httpStatus: status.code,
                    body: objectValue.encoded(),
                    context: "watch \(KubeClient.describe(resource, namespace: namespace, name: nil))"
                )
                if error.code == .gone && options.relistOnExpired {
                    try await relist()
                    return nil
                }
                throw error
            }
            guard let type = WatchEvent.EventType(rawValue: typeName), let object = KubeObject(objectValue) else {
                throw KubeError(code: .malformedJSON, message: "unexpected watch event \"\(typeName)\"")
            }
            if let rv = object.resourceVersion { resourceVersion = rv }
            return WatchEvent(type: type, object: object)
        }
    }
}
