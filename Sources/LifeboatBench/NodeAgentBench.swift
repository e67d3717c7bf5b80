import ArgumentParser
import Foundation
import KubeSandbox
import Kubernetes
import Logging
import NodeAgent

#if canImport(Glibc)
import Glibc
#endif

/// `lifeboat-bench node-agent`: 50 node agents (one controller set per node, in-process, each with its own
/// client) against a sandbox with 50 nodes, 2,000 DataUploads with a simulated data path of known duration.
/// Prints the scheduling overhead per decision and the makespan against the ideal (total work ÷ total
/// capacity), checked from a watch on the cluster; then the pure in-memory simulation of the same workload.
///
/// Time is scaled: a real data path of 60–240 s and Velero's 5 s requeue become 6–24 s and 0.5 s at the
/// default `--time-scale 10`, so the ratio of data-path time to requeue and API latency stays realistic
/// and the simulation (50 agents and the API server in one process) leaves the CPU mostly free.
struct NodeAgentBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node-agent",
        abstract: "node-agent scheduling benchmark."
    )

    @Option(help: "Number of nodes.") var nodes = 50
    @Option(help: "Number of DataUploads.") var loads = 2000
    @Option(help: "Real seconds per benchmark second (data-path durations, requeue delay, resync, timeouts).")
    var timeScale = 10.0
    @Option(help: "Share of loads (percent) in the storage class that has a load affinity.") var affinityShare = 20
    @Option(
        help: "Acceptance stagger per rank in milliseconds, not scaled (0 = every node agent races at once, as Velero)."
    )
    var acceptStaggerMs = 20
    @Flag(help: "Leave placement to the scheduler alone (Velero's behaviour) instead of capacity-aware placement.")
    var schedulerOnly = false
    @Flag(help: "Skip the pure in-memory simulation.") var skipPure = false
    @Option(help: "Stop waiting for the loads after this many seconds and report what was done.") var timeoutSeconds:
        Int64 = 400

    @Option(help: "loadConcurrency.prepareQueueLength of the node-agent configuration (0 = no cluster-wide cap).")
    var prepareQueueLength = 60

    var config: String {
        Self.config.replacingOccurrences(
            of: "\"prepareQueueLength\":60",
            with: "\"prepareQueueLength\":\(prepareQueueLength)"
        )
    }

    static let config = #"""
        {"loadConcurrency":{"globalConfig":2,"prepareQueueLength":60,"perNodeConfig":[
            {"nodeSelector":{"matchLabels":{"size":"large"}},"number":4},
            {"nodeSelector":{"matchLabels":{"zone":"a"}},"number":3},
            {"nodeSelector":{"matchExpressions":[{"key":"disk","operator":"In","values":["slow"]}]},"number":1}]},
         "loadAffinity":[{"nodeSelector":{"matchLabels":{"node-type":"backup"}},"storageClass":"fast"}]}
        """#

    func nodeList() -> [ClusterFacts.Node] {
        (1...nodes).map { i -> ClusterFacts.Node in
            var labels = ["zone": ["a", "b", "c"][i % 3]]
            if i % 5 != 0 { labels["node-type"] = "backup" }
            if i % 4 == 0 { labels["size"] = "large" }
            if i % 7 == 0 { labels["disk"] = "slow" }
            return .init(name: "sandbox-node-\(i)", labels: labels)
        }
    }

    /// Real-world duration of load `i`: 60–240 s.
    static func realSeconds(_ i: Int) -> Double { 60 + Double((i * 37) % 181) }

    func scaled(_ seconds: Double) -> Duration { .milliseconds(Int64(seconds / timeScale * 1000)) }

    func run() async throws {
        let nodeList = nodeList()
        let work = (0..<loads).map { i in
            ClusterLoadSimulation.Load(
                name: "du-\(i)",
                storageClass: i % 100 < affinityShare ? "fast" : "standard",
                duration: scaled(Self.realSeconds(i))
            )
        }
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let cpuBefore = Self.cpuSeconds()
        let report = try await withSandbox(
            SandboxConfiguration(
                port: 0,
                nodes: nodes,
                watchHistory: 200_000,
                customResources: .velero,
                // The hosting pods run a real process that waits; the simulation plays their data path.
                imageCommands: ["velero/velero": try SandboxConfiguration.waitingProgram()]
            )
        ) { sandbox in
            try await ClusterLoadSimulation(
                kubeConfig: try KubeConfig.parse(yaml: sandbox.kubeconfigYAML),
                clientConfiguration: .init(qps: 0, maxConnections: 8, requestTimeout: .seconds(60)),
                nodes: nodeList,
                configJSON: config,
                storageClasses: ["fast", "standard"],
                loads: work,
                controllerConfiguration: .init(
                    nodeName: "",
                    prepareTimeout: scaled(1800),
                    requeueDelay: scaled(5),
                    resyncInterval: scaled(60),
                    workers: 4,
                    capacityAwarePlacement: !schedulerOnly,
                    acceptStagger: .milliseconds(acceptStaggerMs)
                ),
                timeout: .seconds(timeoutSeconds),
                logger: logger
            ).run()
        }
        let cpu = Self.cpuSeconds() - cpuBefore
        let s = report.statistics
        let seconds: (Duration) -> Double = \.inSeconds
        let capacityTotal = report.capacity.values.reduce(0, +)
        var byNumber: [Int: Int] = [:]
        for n in report.capacity.values { byNumber[n, default: 0] += 1 }
        print("== node agents on the sandbox: \(nodes) nodes, \(loads) DataUploads, time scale 1:\(Int(timeScale))")
        print(
            "placement: \(schedulerOnly ? "scheduler only (Velero)" : "capacity-aware"); acceptance stagger \(acceptStaggerMs) ms per rank"
        )
        print(
            "node concurrency: \(byNumber.sorted { $0.key < $1.key }.map { "\($0.value) nodes × \($0.key)" }.joined(separator: ", ")) = \(capacityTotal) slots; prepareQueueLength \(report.prepareQueueLength)"
        )
        print(
            "loads: \(work.filter { $0.storageClass == "fast" }.count) with load affinity (fast → node-type=backup), durations \(Self.f(seconds(scaled(60))))–\(Self.f(seconds(scaled(240)))) s"
        )
        print(
            "makespan \(Self.f(seconds(report.makespan))) s; ideal (total work ÷ total capacity) \(Self.f(seconds(report.idealMakespan))) s → \(Self.f(seconds(report.makespan) / seconds(report.idealMakespan), 3))× ideal"
        )
        let resolvedConfig = try NodeAgentConfig.load(json: config, source: "bench").config.resolve(
            in: ClusterFacts(nodes: nodeList)
        )
        let greedy = Self.greedyMakespan(work, nodes: nodeList, capacity: report.capacity, config: resolvedConfig)
        print(
            "zero-overhead FIFO list schedule (each free slot takes the oldest load its node may run, instantly): \(Self.f(greedy)) s = \(Self.f(greedy / seconds(report.idealMakespan), 3))× ideal; measured/that = \(Self.f(seconds(report.makespan) / greedy, 3))×"
        )
        let u = Self.utilisation(report.observation.timeline, capacity: capacityTotal, end: seconds(report.makespan))
        let ramp = [4, 2].map { part in
            report.observation.timeline.first { $0.running * part >= capacityTotal }.map {
                "1/\(part) after \(Self.f($0.at.inSeconds)) s"
            } ?? "1/\(part) never"
        }.joined(separator: ", ")
        print(
            "slots: \(ramp), all \(capacityTotal) busy \(u.fill.map { "after \(Self.f($0)) s" } ?? "never (at most \(u.maxRunning))"); busy \(Self.f(u.waiting * 100, 1))% of slot time while New loads waited (until \(Self.f(u.drain)) s), \(Self.f(u.overall * 100, 1))% overall"
        )
        print(
            "wall time \(Self.f(seconds(report.wallTime))) s (setup included); process CPU \(Self.f(cpu)) s (\(Self.f(cpu / max(0.001, seconds(report.wallTime)))) cores)"
        )
        print(
            "decisions (reconciles) \(s.reconciles): \(Self.f(seconds(s.reconcileTime) * 1e6 / Double(max(1, s.reconciles)), 0)) µs wall each (API round trips included); \(Self.f(cpu * 1e6 / Double(max(1, s.reconciles)), 0)) µs process CPU each (sandbox, 50 agents and observer together)"
        )
        print(
            "accepted \(s.accepted), acceptance races lost \(s.acceptLost), prepare queue full \(s.queueFull)×, no free slot \(s.noFreeSlot)×, node full \(s.nodeFull)×, write conflicts \(s.conflicts), prepare-queue slots found taken \(s.ticketConflicts)"
        )
        let phases: [(LoadPhase, String)] = [
            (.new, "New"), (.accepted, "Accepted"), (.prepared, "Prepared"), (.inProgress, "InProgress"),
        ]
        let spread = { (d: [Duration]) -> String in
            let d = d.map(\.inSeconds).sorted()
            guard !d.isEmpty else { return "none" }
            return
                "\(Self.f(d.reduce(0, +) / Double(d.count))) / \(Self.f(d[d.count / 2])) / \(Self.f(d[d.count * 9 / 10])) / \(Self.f(d[d.count - 1]))"
        }
        print(
            "time in phase, mean / median / p90 / max (s): "
                + phases.compactMap { phase, label in
                    report.observation.dwell[phase].map { "\(label) \(spread($0))" }
                }.joined(separator: "; ")
        )
        let steps = report.observation.exposeSteps
        print(
            "Accepted → Prepared, mean / median / p90 / max (s): accepted → pod created \(spread(steps.map(\.podCreated))); → pod Running \(spread(steps.map(\.podRunning))); → Prepared \(spread(steps.map(\.prepared)))"
        )
        let acceptances = report.observation.acceptances
        print(
            "loads created in \(Self.f(report.creationTime.inSeconds)) s; acceptances: "
                + [1, report.prepareQueueLength, capacityTotal, capacityTotal + report.prepareQueueLength].compactMap {
                    n in
                    n >= 1 && n <= acceptances.count ? "#\(n) after \(Self.f(acceptances[n - 1].inSeconds)) s" : nil
                }.joined(separator: ", ")
        )
        print(
            "slot turnover while loads waited, mean / median / p90 / max (s): freed → next accepted on the node \(spread(report.observation.slotToAccept)); freed → next running there \(spread(report.observation.slotToRun)) (\(report.observation.slotToRun.count) turnovers)"
        )
        print(
            "observed: max preparing \(report.observation.maxPreparing) (limit \(report.prepareQueueLength)); nodes at their number: \(report.capacity.filter { report.observation.maxRunning[$0.key] == $0.value }.count)/\(nodes); loads completed once: \(report.observation.completions.values.filter { $0 == 1 }.count)/\(loads)"
        )
        if report.timedOut {
            print(
                "TIMED OUT: \(report.observation.finalCount) of \(loads) loads final after \(Self.f(seconds(report.makespan))) s (\(Self.f(Double(report.observation.finalCount) / max(0.001, seconds(report.makespan)))) loads/s; the ideal needs \(Self.f(Double(loads) / max(0.001, seconds(report.idealMakespan)))) loads/s)"
            )
        }
        print("invariant violations: \(report.violations.count)")
        for v in report.violations.prefix(10) { print("  \(v)") }

        guard !skipPure else { return }
        let pureLoads = (0..<loads).map {
            LoadSimulation.Load(
                name: "du-\($0)",
                storageClass: $0 % 100 < affinityShare ? "fast" : "standard",
                duration: .seconds(Int64(Self.realSeconds($0)))
            )
        }
        let clock = ContinuousClock()
        var pure: LoadSimulation.Report?
        let elapsed = clock.measure {
            pure = LoadSimulation(nodes: nodeList, config: resolvedConfig, loads: pureLoads).run()
        }
        guard let pure else { return }
        print("== pure in-memory simulation (one LoadStateMachine per node, unscaled time, scheduler-only placement)")
        print(
            "decisions \(pure.decisions): \(Self.f(seconds(elapsed) * 1e6 / Double(max(pure.decisions, 1)), 2)) µs each; makespan \(Self.f(seconds(pure.makespan))) s vs ideal \(Self.f(seconds(pure.idealMakespan))) s → \(Self.f(seconds(pure.makespan) / seconds(pure.idealMakespan), 3))×"
        )
    }

    /// The makespan of a scheduler with no overhead at all: loads in creation order, each on the slot that
    /// frees first among the nodes its load affinity admits. The ideal (total work ÷ capacity) ignores that
    /// the last loads cannot be split across slots; this bound does not.
    static func greedyMakespan(
        _ loads: [ClusterLoadSimulation.Load],
        nodes: [ClusterFacts.Node],
        capacity: [String: Int],
        config: ResolvedNodeAgentConfig
    ) -> Double {
        var slots: [(node: String, free: Double)] = []
        for node in nodes { for _ in 0..<capacity[node.name, default: 0] { slots.append((node.name, 0)) } }
        let labels = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, $0.labels) })
        var admitted: [String: Set<String>] = [:]
        var end = 0.0
        for load in loads {
            let storageClass = config.backupPVCSettings(forSourceStorageClass: load.storageClass).storageClass
            if admitted[storageClass] == nil {
                let affinity = config.nodeAffinity(forStorageClass: storageClass)
                admitted[storageClass] = Set(nodes.map(\.name).filter { affinity?.admits(labels[$0] ?? [:]) ?? true })
            }
            let allowed = admitted[storageClass] ?? []
            guard
                let best = slots.indices.filter({ allowed.contains(slots[$0].node) }).min(by: {
                    slots[$0].free < slots[$1].free
                })
            else { continue }
            slots[best].free += load.duration.inSeconds
            end = max(end, slots[best].free)
        }
        return end
    }

    /// From the observer's timeline: when every slot was first busy, the share of slot time busy while New
    /// loads were waiting (from the first load to the last time none was New), and overall.
    static func utilisation(
        _ timeline: [(at: Duration, running: Int, new: Int)],
        capacity: Int,
        end: Double
    ) -> (fill: Double?, maxRunning: Int, drain: Double, waiting: Double, overall: Double) {
        // Loads still New at the end (a timed-out run): they waited until the end.
        let drain =
            timeline.last(where: { $0.new > 0 }).map { last in
                timeline.first(where: { $0.at > last.at })?.at.inSeconds ?? end
            } ?? 0
        var fill: Double?
        var busyWaiting = 0.0
        var busy = 0.0
        for (i, point) in timeline.enumerated() {
            let t = point.at.inSeconds
            if fill == nil && point.running >= capacity { fill = t }
            let next = i + 1 < timeline.count ? timeline[i + 1].at.inSeconds : end
            busy += Double(point.running) * max(0, min(next, end) - t)
            busyWaiting += Double(point.running) * max(0, min(next, drain) - min(t, drain))
        }
        let slots = Double(max(1, capacity))
        return (
            fill, timeline.map(\.running).max() ?? 0, drain, busyWaiting / (slots * max(0.001, drain)),
            busy / (slots * max(0.001, end))
        )
    }

    static func f(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

    /// User + system CPU time of this process.
    static func cpuSeconds() -> Double {
        #if canImport(Glibc)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        #else
        return 0
        #endif
    }
}
