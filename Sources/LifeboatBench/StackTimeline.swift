import Foundation
import Kubernetes
import Synchronization

/// Where a stack step spends its time, to the millisecond: while the step runs, watches of the Backups, Restores,
/// PodVolumeBackups/Restores and pods report every phase change (and a pod's creation and deletion), stamped with
/// the time since the step started. The API's own timestamps have whole seconds only.
final class StackTimeline: Sendable {
    private struct State {
        var entries: [(at: Duration, what: String)] = []
        var phases: [String: String] = [:]
    }

    private let start = ContinuousClock.now
    private let state = Mutex(State())

    static let resources: [(GroupVersionResource, String)] = [
        (GroupVersionResource(group: "velero.io", version: "v1", resource: "backups"), "Backup"),
        (GroupVersionResource(group: "velero.io", version: "v1", resource: "restores"), "Restore"),
        (GroupVersionResource(group: "velero.io", version: "v1", resource: "podvolumebackups"), "PodVolumeBackup"),
        (GroupVersionResource(group: "velero.io", version: "v1", resource: "podvolumerestores"), "PodVolumeRestore"),
        (GroupVersionResource(group: "", version: "v1", resource: "pods"), "Pod"),
    ]

    /// Runs `body` with the watches open; returns its result and the timeline's lines.
    static func following<T: Sendable>(
        client: KubeClient,
        _ body: @escaping @Sendable (StackTimeline) async throws -> T
    ) async throws -> (T, [String]) {
        // Each watch starts with a list: the phase an object has then is remembered, not reported, so only what
        // changes during the step is.
        let timeline = StackTimeline()
        let result = try await withThrowingTaskGroup(of: T?.self) { group in
            let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
            for (resource, kind) in resources {
                group.addTask {
                    let (events, resourceVersion) = try await client.listForWatch(resource)
                    for event in events { timeline.observe(event, kind: kind) }
                    readyContinuation.yield()
                    let options = WatchOptions(resourceVersion: resourceVersion)
                    for try await event in client.watch(resource, options: options) {
                        timeline.observe(event, kind: kind)
                    }
                    return nil
                }
            }
            // Every watch goes on from its list's resourceVersion: nothing after the lists is missed.
            var started = 0
            for await _ in ready {
                started += 1
                if started == resources.count { break }
            }
            timeline.mark("step starts")
            let value = try await body(timeline)
            timeline.mark("step ends")
            group.cancelAll()
            return value
        }
        return (result, timeline.lines())
    }

    /// Notes a moment of the step itself.
    func mark(_ what: String) {
        let at = ContinuousClock.now - start
        state.withLock { $0.entries.append((at, what)) }
    }

    private func observe(_ event: WatchEvent, kind: String) {
        guard event.type != .bookmark, event.type != .restarted else { return }
        let object = event.object
        let key = "\(kind) \(object.namespace.map { "\($0)/" } ?? "")\(object.name ?? "")"
        var phase = object["status"]?["phase"]?.stringValue ?? "(no phase)"
        if kind == "Pod", object.deletionTimestamp != nil { phase += ", deleting" }
        if event.type == .deleted { phase = "deleted" }
        let at = ContinuousClock.now - start
        state.withLock { state in
            let previous = state.phases[key]
            state.phases[key] = phase
            guard previous != phase, state.entries.contains(where: { $0.what == "step starts" }) else { return }
            state.entries.append((at, "\(key): \(previous.map { "\($0) → " } ?? "created, ")\(phase)"))
        }
    }

    private func lines() -> [String] {
        state.withLock { state in
            guard let origin = state.entries.first(where: { $0.what == "step starts" })?.at else { return [] }
            return state.entries.filter { $0.at >= origin }.map { entry in
                let seconds =
                    Double((entry.at - origin).components.attoseconds) / 1e18
                    + Double((entry.at - origin).components.seconds)
                return String(format: "+%6.3f s  ", seconds) + entry.what
            }
        }
    }
}
