import Foundation
import HeapModule
import Kubernetes

/// A discrete-event simulation of many node agents scheduling data-mover loads, each node agent one
/// ``LoadStateMachine`` (the machine production runs): every change of a load reaches every machine (as
/// their watches would, at once), node agents race to accept New loads (one wins; the prepare-queue ticket
/// is exact), the Kubernetes scheduler places each hosting pod on the admitted node with the fewest
/// data-mover pods (topology spread), the pod starts after `prepareDelay`, and the data path runs for the
/// load's duration once its node's machine gives it a slot. Refused steps retry after 5 s.
///
/// It checks the invariants as it goes and reports them with the makespan.
package struct LoadSimulation: Sendable {
    /// One load to run.
    package struct Load: Sendable, Hashable {
        package var name: String
        package var storageClass: String
        package var duration: Duration
        package init(name: String, storageClass: String, duration: Duration) {
            self.name = name
            self.storageClass = storageClass
            self.duration = duration
        }
    }

    /// What happened.
    package struct Report: Sendable {
        /// Time from the first submission to the last completion.
        package var makespan: Duration
        /// Total work ÷ total capacity.
        package var idealMakespan: Duration
        /// The most loads seen running at once on each node.
        package var maxRunning: [String: Int]
        /// The most loads seen being prepared at once.
        package var maxPreparing: Int
        /// Pods placed on a node their affinity does not admit.
        package var affinityViolations: Int
        /// Completions per load (each should be 1).
        package var completions: [String: Int]
        /// Scheduling steps taken (accept, prepare, start, finish attempts).
        package var decisions: Int
    }

    package var nodes: [ClusterFacts.Node]
    package var config: ResolvedNodeAgentConfig
    package var loads: [Load]
    package var prepareDelay: Duration

    package init(
        nodes: [ClusterFacts.Node],
        config: ResolvedNodeAgentConfig,
        loads: [Load],
        prepareDelay: Duration = .seconds(2)
    ) {
        self.nodes = nodes
        self.config = config
        self.loads = loads
        self.prepareDelay = prepareDelay
    }

    private enum Step: Int, Sendable {
        case accept, podRunning, start, complete
    }

    /// The simulated cluster: the loads as the API server holds them, and one state machine per node agent.
    private struct Cluster {
        var loads: [String: LoadObject] = [:]
        var machines: [LoadStateMachine]
        var index: [String: Int] = [:]
        var version = 0
        /// Loads labelled `velero.io/expose-on-going=true` (the exact prepare-queue count a ticket checks).
        var preparing = 0

        /// Writes a load and hands it to every node agent's machine (their watches, with no delay).
        mutating func write(_ load: LoadObject) {
            var load = load
            version += 1
            load.object[path: ["metadata", "resourceVersion"]] = .string(String(version))
            if let old = loads[load.name], old.isExposing { preparing -= 1 }
            if load.isExposing { preparing += 1 }
            loads[load.name] = load
            for i in machines.indices { _ = machines[i].loadObserved(load) }
        }
    }

    /// Runs the simulation to the end.
    package func run() -> Report {
        var capacity: [String: Int] = [:]
        for node in nodes { capacity[node.name] = config.concurrency(forNodeLabels: node.labels).number }
        let machineConfigurations = nodes.map {
            LoadStateMachine.Configuration(node: $0.name, kinds: [.dataUpload], config: config, nodes: nodes)
        }
        var cluster = Cluster(machines: machineConfigurations.map(LoadStateMachine.init(configuration:)))
        for (i, node) in nodes.enumerated() { cluster.index[node.name] = i }
        let retry = machineConfigurations.first?.requeueDelay ?? .seconds(5)
        let limit = config.prepareQueueLength
        let origin = Date(timeIntervalSince1970: 0)
        var queue = EventQueue()
        var byName: [String: Load] = [:]
        for (i, load) in loads.enumerated() {
            byName[load.name] = load
            let object = ClusterLoadSimulation.dataUpload(load, namespace: "velero")
            cluster.write(LoadObject(kind: .dataUpload, object: object.value))
            queue.push(at: .zero, sequence: i, name: load.name, step: Step.accept.rawValue)
        }
        var admitted: [String: [String]] = [:]
        var pods: [String: Int] = [:]
        var report = Report(
            makespan: .zero,
            idealMakespan: .zero,
            maxRunning: [:],
            maxPreparing: 0,
            affinityViolations: 0,
            completions: [:],
            decisions: 0
        )
        var sequence = loads.count
        var turn = 0

        while let event = queue.pop() {
            let time = LoadObject.timestamp(origin.addingTimeInterval(event.time.timeInterval))
            guard let load = byName[event.name], let current = cluster.loads[load.name] else { continue }
            let key = LoadKey(kind: .dataUpload, name: load.name)
            report.decisions += 1
            sequence += 1
            switch Step(rawValue: event.step) ?? .complete {
            case .accept:
                // Every node agent tries; the first to try wins, the rest see a conflict.
                let first = turn % max(nodes.count, 1)
                turn += 1
                guard current.phase == .new, cluster.machines.indices.contains(first) else { continue }
                var admission = cluster.machines[first].admitNew(key, committing: true).admission
                // The ticket: exact across node agents.
                if admission == .proceed && limit > 0 && cluster.preparing >= limit {
                    _ = cluster.machines[first].ticketRefused(key, heldByOther: false)
                    admission = .wait
                }
                guard admission == .proceed, let accepted = try? current.accepted(byNode: nodes[first].name, at: time)
                else {
                    if admission != .skip {
                        queue.push(
                            at: event.time + retry,
                            sequence: sequence,
                            name: load.name,
                            step: Step.accept.rawValue
                        )
                    }
                    continue
                }
                cluster.write(accepted.withFinalizer())
                cluster.machines[first].acceptSucceeded(key)
                report.decisions += max(nodes.count - 1, 0)
                report.maxPreparing = max(report.maxPreparing, cluster.preparing)
                queue.push(
                    at: event.time + prepareDelay,
                    sequence: sequence,
                    name: load.name,
                    step: Step.podRunning.rawValue
                )
            case .podRunning:
                let candidates: [String]
                if let known = admitted[load.storageClass] {
                    candidates = known
                } else {
                    let affinity = config.nodeAffinity(forStorageClass: load.storageClass)
                    candidates = nodes.filter { affinity?.admits($0.labels) ?? true }.map(\.name)
                    admitted[load.storageClass] = candidates
                }
                guard let node = candidates.min(by: { (pods[$0] ?? 0, $0) < (pods[$1] ?? 0, $1) }),
                    let prepared = try? current.prepared(onNode: node)
                else { continue }
                if let n = nodes.first(where: { $0.name == node }),
                    !(config.nodeAffinity(forStorageClass: load.storageClass)?.admits(n.labels) ?? true)
                {
                    report.affinityViolations += 1
                }
                pods[node, default: 0] += 1
                cluster.write(prepared)
                queue.push(at: event.time, sequence: sequence, name: load.name, step: Step.start.rawValue)
            case .start:
                guard let node = current.node, let i = cluster.index[node] else { continue }
                if cluster.machines[i].reserveDataPath(key, resumed: false) != nil {
                    queue.push(at: event.time + retry, sequence: sequence, name: load.name, step: Step.start.rawValue)
                    continue
                }
                guard let started = try? current.started(at: time) else {
                    _ = cluster.machines[i].dataPathNotStarted(key)
                    continue
                }
                cluster.write(started)
                cluster.machines[i].dataPathStarted(key, resumed: false)
                report.maxRunning[node] = max(report.maxRunning[node] ?? 0, cluster.machines[i].slots.runningCount)
                queue.push(
                    at: event.time + load.duration,
                    sequence: sequence,
                    name: load.name,
                    step: Step.complete.rawValue
                )
            case .complete:
                guard let node = current.node, let i = cluster.index[node],
                    let completed = try? current.completed(
                        at: time,
                        path: "/",
                        snapshotID: load.name,
                        incrementalBytes: 0,
                        emptySnapshot: false
                    )
                else { continue }
                cluster.write(completed.withoutFinalizer())
                _ = cluster.machines[i].dataPathEnded(key, completed: true)
                pods[node, default: 1] -= 1
                report.completions[load.name, default: 0] += 1
                report.makespan = max(report.makespan, event.time)
            }
        }
        let totalWork = loads.reduce(Duration.zero) { $0 + $1.duration }
        let totalCapacity = max(capacity.values.reduce(0, +), 1)
        report.idealMakespan = totalWork / totalCapacity
        return report
    }
}

/// Simulation events ordered by (time, sequence), earliest first.
struct EventQueue {
    struct Event: Comparable {
        var time: Duration
        var sequence: Int
        var name: String
        var step: Int

        static func < (a: Event, b: Event) -> Bool { (a.time, a.sequence) < (b.time, b.sequence) }
        static func == (a: Event, b: Event) -> Bool { a.time == b.time && a.sequence == b.sequence }
    }

    private var heap = Heap<Event>()

    mutating func push(at time: Duration, sequence: Int, name: String, step: Int) {
        heap.insert(Event(time: time, sequence: sequence, name: name, step: step))
    }

    mutating func pop() -> Event? { heap.popMin() }
}
