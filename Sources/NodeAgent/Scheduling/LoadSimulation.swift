import HeapModule

/// A discrete-event simulation of many node agents scheduling data-mover loads with ``LoadScheduler``:
/// node agents race to accept New loads (one wins), the Kubernetes scheduler places each hosting pod on the
/// admitted node with the fewest data-mover pods (topology spread), the pod starts after `prepareDelay`, and
/// the data path runs for the load's duration once its node has room. Refused steps retry after 5 s.
///
/// It checks the invariants as it goes and reports them with the makespan.
public struct LoadSimulation: Sendable {
    /// One load to run.
    public struct Load: Sendable, Hashable {
        public var name: String
        public var storageClass: String
        public var duration: Duration
        public init(name: String, storageClass: String, duration: Duration) {
            self.name = name
            self.storageClass = storageClass
            self.duration = duration
        }
    }

    /// What happened.
    public struct Report: Sendable {
        /// Time from the first submission to the last completion.
        public var makespan: Duration
        /// Total work ÷ total capacity.
        public var idealMakespan: Duration
        /// The most loads seen running at once on each node.
        public var maxRunning: [String: Int]
        /// The most loads seen being prepared at once.
        public var maxPreparing: Int
        /// Pods placed on a node their affinity does not admit.
        public var affinityViolations: Int
        /// Completions per load (each should be 1).
        public var completions: [String: Int]
        /// Scheduling steps taken (accept, prepare, start, finish attempts).
        public var decisions: Int
    }

    public var nodes: [ClusterFacts.Node]
    public var config: ResolvedNodeAgentConfig
    public var loads: [Load]
    public var prepareDelay: Duration

    public init(nodes: [ClusterFacts.Node], config: ResolvedNodeAgentConfig, loads: [Load], prepareDelay: Duration = .seconds(2)) {
        self.nodes = nodes
        self.config = config
        self.loads = loads
        self.prepareDelay = prepareDelay
    }

    private enum Step: Int, Sendable {
        case accept, podRunning, start, complete
    }

    /// Runs the simulation to the end.
    public func run() -> Report {
        var capacity: [String: Int] = [:]
        for node in nodes { capacity[node.name] = config.concurrency(forNodeLabels: node.labels).number }
        var scheduler = LoadScheduler<SimulatedInstant>(
            capacity: capacity, configuration: .init(prepareQueueLength: config.prepareQueueLength))
        var queue = EventQueue()
        var byName: [String: Load] = [:]
        for (i, load) in loads.enumerated() {
            byName[load.name] = load
            scheduler.submit(load.name, kind: .dataUpload)
            queue.push(at: .zero, sequence: i, name: load.name, step: Step.accept.rawValue)
        }
        var admitted: [String: [String]] = [:]
        var pods: [String: Int] = [:]
        var report = Report(
            makespan: .zero, idealMakespan: .zero, maxRunning: [:], maxPreparing: 0, affinityViolations: 0,
            completions: [:], decisions: 0)
        var sequence = loads.count
        var turn = 0
        let retry = scheduler.configuration.requeueDelay

        while let event = queue.pop() {
            let now = SimulatedInstant(offset: event.time)
            guard let load = byName[event.name] else { continue }
            report.decisions += 1
            sequence += 1
            switch Step(rawValue: event.step) ?? .complete {
            case .accept:
                // Every node agent tries; the first to try wins, the rest see a conflict.
                let first = nodes[turn % max(nodes.count, 1)].name
                turn += 1
                switch scheduler.accept(load.name, by: first, at: now) {
                case .done:
                    report.decisions += max(nodes.count - 1, 0)
                    report.maxPreparing = max(report.maxPreparing, scheduler.preparing.count)
                    queue.push(at: event.time + prepareDelay, sequence: sequence, name: load.name, step: Step.podRunning.rawValue)
                default:
                    queue.push(at: event.time + retry, sequence: sequence, name: load.name, step: Step.accept.rawValue)
                }
            case .podRunning:
                let candidates: [String]
                if let known = admitted[load.storageClass] {
                    candidates = known
                } else {
                    let affinity = config.nodeAffinity(forStorageClass: load.storageClass)
                    candidates = nodes.filter { affinity?.admits($0.labels) ?? true }.map(\.name)
                    admitted[load.storageClass] = candidates
                }
                guard let node = candidates.min(by: { (pods[$0] ?? 0, $0) < (pods[$1] ?? 0, $1) }) else { continue }
                if let n = nodes.first(where: { $0.name == node }),
                    !(config.nodeAffinity(forStorageClass: load.storageClass)?.admits(n.labels) ?? true)
                {
                    report.affinityViolations += 1
                }
                pods[node, default: 0] += 1
                _ = scheduler.markPrepared(load.name, on: node)
                queue.push(at: event.time, sequence: sequence, name: load.name, step: Step.start.rawValue)
            case .start:
                switch scheduler.start(load.name) {
                case .done:
                    let node = scheduler.loads[load.name]?.node ?? ""
                    report.maxRunning[node] = max(report.maxRunning[node] ?? 0, scheduler.runningCount(on: node))
                    queue.push(at: event.time + load.duration, sequence: sequence, name: load.name, step: Step.complete.rawValue)
                default:
                    queue.push(at: event.time + retry, sequence: sequence, name: load.name, step: Step.start.rawValue)
                }
            case .complete:
                let node = scheduler.loads[load.name]?.node ?? ""
                scheduler.finish(load.name, phase: .completed)
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
