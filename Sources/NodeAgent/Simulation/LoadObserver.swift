import Foundation
package import Kubernetes
import Synchronization

/// Checks the node-agent invariants from the cluster's point of view: it watches the loads and the
/// data-mover pods of a namespace (one watch each, so the events of a kind are seen in commit order) and
/// records, at every event, how many loads run (InProgress) on each node, how many are being prepared
/// (Accepted + Prepared), where pods land, and how often each load completes. A deleted load's last state
/// (the DELETED event's object) counts as a transition too.
package final class LoadObserver: Sendable {
    /// What was observed.
    package struct Observation: Sendable {
        /// The most loads seen InProgress at once, by node.
        package var maxRunning: [String: Int] = [:]
        /// The most loads seen Accepted or Prepared at once.
        package var maxPreparing = 0
        /// Transitions into Completed, by load.
        package var completions: [String: Int] = [:]
        /// The current phase of every load.
        package var phases: [String: LoadPhase] = [:]
        /// Every phase each load went through, in order.
        package var history: [String: [LoadPhase]] = [:]
        /// Every `status.acceptedByNode` seen, by load.
        package var acceptedBy: [String: Set<String>] = [:]
        /// The node each data-mover pod was scheduled to, by pod (= load) name.
        package var podNodes: [String: String] = [:]
        /// When the first load appeared and the last one reached a final phase.
        package var firstSeen: ContinuousClock.Instant?
        package var lastFinal: ContinuousClock.Instant?
        /// Events processed.
        package var events = 0
        /// Every change of the number of loads running (InProgress, all nodes) or New, in order: when (from
        /// ``firstSeen``), how many run, how many are New.
        package var timeline: [(at: Duration, running: Int, new: Int)] = []
        /// How long each load stayed in a phase, by phase (recorded when it left the phase, in event order).
        package var dwell: [LoadPhase: [Duration]] = [:]
        /// For every slot that freed (a load left InProgress) while New loads waited: the time until its node
        /// accepted another load, and until another load ran there (slots matched oldest first).
        package var slotToAccept: [Duration] = []
        package var slotToRun: [Duration] = []
        /// When (from ``firstSeen``) each acceptance was seen, in order.
        package var acceptances: [Duration] = []
        /// For each load that reached Prepared: from its acceptance to its pod's creation, from there to the
        /// pod Running, and from there to Prepared (as seen by this observer's two watches).
        package var exposeSteps: [(podCreated: Duration, podRunning: Duration, prepared: Duration)] = []

        /// Loads in a final phase.
        package var finalCount: Int { phases.values.count(where: \.isFinal) }
    }

    private struct State {
        var observation = Observation()
        var runningOn: [String: Set<String>] = [:]
        var preparing: Set<String> = []
        var nodeOf: [String: String] = [:]
        var new = 0
        /// When each load entered its current phase.
        var since: [String: ContinuousClock.Instant] = [:]
        /// Per node, when its slots freed while New loads waited, not yet refilled (by an acceptance, by a run).
        var freedForAccept: [String: [ContinuousClock.Instant]] = [:]
        var freedForRun: [String: [ContinuousClock.Instant]] = [:]
        /// When each load's pod was first seen and seen Running.
        var podSeen: [String: ContinuousClock.Instant] = [:]
        var podRunning: [String: ContinuousClock.Instant] = [:]
    }

    package let client: KubeClient
    package let namespace: String
    package let kind: LoadKind
    private let state = Mutex(State())

    package init(client: KubeClient, namespace: String, kind: LoadKind = .dataUpload) {
        self.client = client
        self.namespace = namespace
        self.kind = kind
    }

    /// What was observed so far.
    package var observation: Observation { state.withLock { $0.observation } }

    /// Watches until cancelled. Start it before creating loads; it lists first, then watches from the list.
    package func run() async throws {
        let loads = try await client.list(kind.gvr, namespace: namespace)
        let pods = try await client.list(.pods, namespace: namespace)
        for item in loads.items { record(load: item) }
        for item in pods.items { record(pod: item) }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for try await event in self.client.watch(
                    self.kind.gvr,
                    namespace: self.namespace,
                    options: WatchOptions(resourceVersion: loads.resourceVersion)
                )
                where event.type == .added || event.type == .modified || event.type == .deleted {
                    self.record(load: event.object)
                }
            }
            group.addTask {
                for try await event in self.client.watch(
                    .pods,
                    namespace: self.namespace,
                    options: WatchOptions(resourceVersion: pods.resourceVersion)
                )
                where event.type == .added || event.type == .modified {
                    self.record(pod: event.object)
                }
            }
        }
    }

    private func record(load object: KubeObject) {
        let load = LoadObject(kind: kind, object: object.value)
        let name = load.name
        let now = ContinuousClock.now
        state.withLock { s in
            s.observation.events += 1
            if s.observation.firstSeen == nil { s.observation.firstSeen = now }
            let previous = s.observation.phases[name]
            let phase = load.phase
            if let by = load.acceptedByNode { s.observation.acceptedBy[name, default: []].insert(by) }
            guard previous != phase else { return }
            let (running, new) = (s.nodeOf.count, s.new)
            if previous == .new { s.new -= 1 }
            if phase == .new { s.new += 1 }
            let entered = s.since[name]
            if let previous, let entered { s.observation.dwell[previous, default: []].append(now - entered) }
            s.since[name] = phase.isFinal ? nil : now
            s.observation.phases[name] = phase
            s.observation.history[name, default: []].append(phase)
            if phase == .completed { s.observation.completions[name, default: 0] += 1 }
            if phase.isFinal { s.observation.lastFinal = now }
            // running per node
            if let node = s.nodeOf[name] {
                s.runningOn[node]?.remove(name)
                if s.new > 0 {
                    s.freedForAccept[node, default: []].append(now)
                    s.freedForRun[node, default: []].append(now)
                }
            }
            s.nodeOf[name] = nil
            if phase == .accepted, let first = s.observation.firstSeen { s.observation.acceptances.append(now - first) }
            if phase == .prepared, previous == .accepted, let accepted = entered, let seen = s.podSeen[name],
                let running = s.podRunning[name]
            {
                s.observation.exposeSteps.append((seen - accepted, running - seen, now - running))
            }
            if phase == .accepted, let node = load.acceptedByNode, s.freedForAccept[node]?.isEmpty == false,
                let freed = s.freedForAccept[node]?.removeFirst()
            {
                s.observation.slotToAccept.append(now - freed)
            }
            if phase == .inProgress, let node = load.node {
                if s.freedForRun[node]?.isEmpty == false, let freed = s.freedForRun[node]?.removeFirst() {
                    s.observation.slotToRun.append(now - freed)
                }
                s.runningOn[node, default: []].insert(name)
                s.nodeOf[name] = node
                s.observation.maxRunning[node] = max(s.observation.maxRunning[node] ?? 0, s.runningOn[node]?.count ?? 0)
            }
            // Loads running anywhere: the ones with a node in `nodeOf`.
            if (s.nodeOf.count, s.new) != (running, new), let first = s.observation.firstSeen {
                s.observation.timeline.append((now - first, s.nodeOf.count, s.new))
            }
            if phase == .accepted || phase == .prepared {
                s.preparing.insert(name)
                s.observation.maxPreparing = max(s.observation.maxPreparing, s.preparing.count)
            } else {
                s.preparing.remove(name)
            }
        }
    }

    private func record(pod object: KubeObject) {
        guard let name = object.labels[kind.ownerLabel] else { return }
        let now = ContinuousClock.now
        let running = object["status"]?["phase"]?.stringValue == "Running"
        let node = object["spec"]?["nodeName"]?.stringValue ?? ""
        state.withLock { s in
            if s.podSeen[name] == nil { s.podSeen[name] = now }
            if running && s.podRunning[name] == nil { s.podRunning[name] = now }
            if !node.isEmpty { s.observation.podNodes[name] = node }
        }
    }

    /// Waits until `count` loads are final (polling every 20 ms), or throws after `timeout`.
    package func waitForFinal(_ count: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while observation.finalCount < count {
            guard ContinuousClock.now < deadline else {
                let o = observation
                var phases: [LoadPhase: Int] = [:]
                for p in o.phases.values { phases[p, default: 0] += 1 }
                throw NodeAgentError(
                    code: .invalidArgument,
                    message: "timed out after \(timeout): \(o.finalCount) of \(count) loads final; phases \(phases)"
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
