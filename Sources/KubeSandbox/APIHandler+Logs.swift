import Foundation
import HTTPTypes
import Hummingbird
import Kubernetes
import NIOCore

extension APIHandler {
    /// How often a followed log file is read for new lines (the run's end is noticed at once through the
    /// store's change stream).
    static let logPollInterval = Duration.milliseconds(200)

    private enum LogWake: Sendable {
        case tick
        case podChanged
    }

    /// `GET .../pods/{name}/log`: the container's log as `text/plain`, streamed while following.
    func podLog(namespace: String, name: String, query: [String: String]) throws(APIStatus) -> Response {
        let options = try PodLogOptions(query: query)
        let target = try PodStreamTarget(core: core, namespace: namespace, name: name, container: options.container)
        let headers: HTTPFields = [.contentType: "text/plain", .cacheControl: "no-cache, private"]
        // An unscheduled pod has no kubelet to ask: the real server answers with an empty body.
        guard !target.node.isEmpty else {
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer()))
        }
        let selection = try PodLogSelection(
            status: target.containerStatus,
            container: target.container,
            pod: name,
            previous: options.previous
        )
        let file = PodLogLayout.file(
            root: core.volumesRoot,
            node: target.node,
            namespace: namespace,
            pod: name,
            uid: target.uid,
            container: target.container,
            restartCount: selection.run
        )
        let follow = options.follow && selection.live
        let core = self.core
        let body = ResponseBody { writer in
            var formatter = PodLogFormatter(options: options)
            var reader = LogFileReader(url: file)
            let initial = reader.readAppended()
            let (lines, rest) = PodLogFormatter.lines(of: initial, tail: options.tailLines)
            var pending = rest
            var first = formatter.format(lines)
            if !follow && !rest.isEmpty { first += formatter.format([String(decoding: rest, as: UTF8.self)[...]]) }
            if !first.isEmpty { try await writer.write(ByteBuffer(bytes: first)) }
            if follow && !formatter.exhausted {
                try await Self.followLog(
                    core: core,
                    target: target,
                    selection: selection,
                    reader: &reader,
                    pending: &pending,
                    formatter: &formatter,
                    writer: &writer
                )
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Writes lines as the run appends them until it ends (its container terminated or restarted, or the
    /// pod went away) and the file is drained, the byte limit is reached, or the client goes away (the
    /// write throws).
    private static func followLog(
        core: SandboxCore,
        target: PodStreamTarget,
        selection: PodLogSelection,
        reader: inout LogFileReader,
        pending: inout [UInt8],
        formatter: inout PodLogFormatter,
        writer: inout any ResponseBodyWriter
    ) async throws {
        guard let podType = core.registry.lookup(groupVersion: "v1", plural: "pods") else { return }
        let mailbox = Mailbox<LogWake>()
        let name = target.key.name
        let filter = WatchFilter(storageKey: podType.storageKey, namespace: target.key.namespace) { key, _ in
            key.name == name
        }
        let id = core.store.watch(
            filter,
            from: core.store.currentResourceVersion,
            into: WatchSink(deliver: { _ in mailbox.put(.podChanged) }, finish: { mailbox.close() })
        )
        defer { if let id { core.store.endWatch(id) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: logPollInterval)
                    mailbox.put(.tick)
                }
            }
            var ended = false
            while !ended {
                let wakes = await mailbox.take()
                // Closed: the store stopped (the sandbox is shutting down).
                if wakes.isEmpty { ended = true }
                if wakes.contains(.podChanged) || wakes.isEmpty {
                    let pod = core.store.get(podType.storageKey, target.key)
                    let current = pod.flatMap { stored -> JSONValue? in
                        guard stored.uid == target.uid, let object = try? stored.decode(podType) else { return nil }
                        return PodStreamTarget.status(of: target.container, in: object)
                    }
                    if selection.ended(by: current) { ended = true }
                }
                // After the run ended its file is complete: this read drains it.
                let (lines, rest) = PodLogFormatter.lines(of: pending + reader.readAppended(), tail: nil)
                pending = rest
                var output = formatter.format(lines)
                if ended && !pending.isEmpty {
                    output += formatter.format([String(decoding: pending, as: UTF8.self)[...]])
                    pending = []
                }
                if !output.isEmpty { try await writer.write(ByteBuffer(bytes: output)) }
                if formatter.exhausted { ended = true }
            }
            mailbox.close()
            group.cancelAll()
        }
    }
}

/// Reads what was appended to a log file since the last read (nothing while the file does not exist).
struct LogFileReader {
    let url: URL
    private(set) var offset: UInt64 = 0

    init(url: URL) {
        self.url = url
    }

    /// The bytes appended since the previous call.
    mutating func readAppended() -> [UInt8] {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return [] }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: offset)
            let data = try handle.readToEnd() ?? Data()
            offset += UInt64(data.count)
            return [UInt8](data)
        } catch {
            return []
        }
    }
}
