import Foundation
import Hummingbird
import Kubernetes
import NIOCore

extension APIHandler {
    private enum Output: Sendable {
        case item(WatchItem)
        case bookmark
        case timeout
    }

    /// `?watch=1`: a chunked stream of `{"type","object"}` lines.
    func watch(
        _ type: ResourceType,
        namespace: String?,
        query: [String: String],
        accept: String
    ) throws(APIStatus)
        -> Response
    {
        let selector = try ListSelector(
            type: type,
            labelSelector: query["labelSelector"],
            fieldSelector: query["fieldSelector"]
        )
        var start: Int64?
        if let text = query["resourceVersion"], !text.isEmpty, text != "0" {
            guard let value = Int64(text) else {
                throw APIStatus.badRequest("invalid resourceVersion \"\(text)\" for watch")
            }
            start = value
        }
        if query["sendInitialEvents"] == "true" { start = nil }
        var timeout = Duration.seconds(1800)
        if let text = query["timeoutSeconds"], let seconds = Int(text), seconds > 0 { timeout = .seconds(seconds) }
        let bookmarks = query["allowWatchBookmarks"] == "true" || query["allowWatchBookmarks"] == "1"
        let bookmarkInterval = core.configuration.bookmarkInterval
        let table = Self.wants("as=Table", accept)
        let includeObject = query["includeObject"] ?? "Metadata"
        let filter = WatchFilter(storageKey: type.storageKey, namespace: namespace) { key, object in
            selector.matches(key, object)
        }
        let from = start
        let startVersion = start ?? 0
        let watchTimeout = timeout
        let core = self.core
        let body = ResponseBody { writer in
            // Events, the timeout and bookmark ticks meet in one mailbox; everything pending is written as
            // one chunk, so a watch that fell behind catches up with one write.
            let mailbox = Mailbox<Output>()
            let id = core.store.watch(
                filter,
                from: from,
                into: WatchSink(deliver: { mailbox.put(.item($0)) }, finish: { mailbox.close() })
            )
            defer { if let id { core.store.endWatch(id) } }
            var lastVersion = startVersion
            var sentColumns = false
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try? await Task.sleep(for: watchTimeout)
                    mailbox.put(.timeout)
                }
                if bookmarks {
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: bookmarkInterval)
                            mailbox.put(.bookmark)
                        }
                    }
                }
                loop: while true {
                    let batch = await mailbox.take()
                    if batch.isEmpty { break }
                    var buffer = ByteBuffer()
                    var last = false
                    for next in batch {
                        switch next {
                        case .item(.event(let event)):
                            lastVersion = max(lastVersion, event.resourceVersion)
                            buffer.writeString("{\"type\":\"\(event.kind.rawValue)\",\"object\":")
                            if table, let object = try? event.object.decode(type) {
                                TableFormat(type: type, now: Date()).table(
                                    [object],
                                    resourceVersion: String(event.resourceVersion),
                                    continueToken: nil,
                                    remaining: nil,
                                    includeObject: includeObject,
                                    withColumns: !sentColumns
                                ).write(into: &buffer)
                                sentColumns = true
                            } else {
                                event.object.write(into: &buffer, type: type, withTypeMeta: true)
                            }
                            buffer.writeString("}\n")
                        case .item(.expired(let requested, let oldest)):
                            let status = APIStatus.expired("too old resource version: \(requested) (\(oldest))")
                            buffer.writeString("{\"type\":\"ERROR\",\"object\":")
                            status.json.write(into: &buffer)
                            buffer.writeString("}\n")
                            last = true
                        case .bookmark, .timeout:
                            if bookmarks {
                                if lastVersion == 0 { lastVersion = core.store.currentResourceVersion }
                                let bookmark: JSONValue = [
                                    "type": "BOOKMARK",
                                    "object": [
                                        "kind": .string(type.kind), "apiVersion": .string(type.apiVersion),
                                        "metadata": [
                                            "resourceVersion": .string(String(lastVersion)), "creationTimestamp": nil,
                                        ],
                                    ],
                                ]
                                bookmark.write(into: &buffer)
                                buffer.writeString("\n")
                            }
                            if case .timeout = next { last = true }
                        }
                        if last { break }
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                    if last { break loop }
                }
                mailbox.close()
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "no-cache, private"],
            body: body
        )
    }
}
