import Foundation
import ArgumentParser
import Kubernetes
import NodeAgent

/// `lifeboat-bench node-agent`: load scheduling at scale (pure simulation of the node agents' scheduling
/// state machine; the sandbox-backed run is future work). Prints the scheduling overhead per decision and
/// the makespan against the ideal (total work ÷ total capacity).
struct NodeAgentBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "node-agent", abstract: "node-agent scheduling benchmark.")

    @Option(help: "Number of nodes.") var nodes = 50
    @Option(help: "Number of DataUploads.") var loads = 2000

    func run() async throws {
        let nodeList = (0..<nodes).map { i -> ClusterFacts.Node in
            var labels = ["kubernetes.io/hostname": "node-\(i)", "zone": ["a", "b", "c"][i % 3]]
            if i % 5 != 0 { labels["node-type"] = "backup" }
            if i % 4 == 0 { labels["size"] = "large" }
            return .init(name: "node-\(i)", labels: labels)
        }
        let json = #"""
            {"loadConcurrency":{"globalConfig":2,"prepareQueueLength":40,"perNodeConfig":[
                {"nodeSelector":{"matchLabels":{"size":"large"}},"number":4},
                {"nodeSelector":{"matchLabels":{"zone":"a"}},"number":3}]},
             "loadAffinity":[{"nodeSelector":{"matchLabels":{"node-type":"backup"}}}]}
            """#
        let resolved = try NodeAgentConfig.load(json: json, source: "bench").config.resolve(in: ClusterFacts(nodes: nodeList))
        let work = (0..<loads).map { LoadSimulation.Load(name: "du-\($0)", storageClass: "fast", duration: .seconds(120 + ($0 * 37) % 240)) }
        let clock = ContinuousClock()
        var report: LoadSimulation.Report?
        let elapsed = clock.measure { report = LoadSimulation(nodes: nodeList, config: resolved, loads: work).run() }
        guard let report else { return }
        let admittedCapacity = nodeList.filter { $0.labels["node-type"] == "backup" }
            .map { resolved.concurrency(forNodeLabels: $0.labels).number }.reduce(0, +)
        let totalWork = work.reduce(Duration.zero) { $0 + $1.duration }
        let idealAdmitted = totalWork / max(admittedCapacity, 1)
        let seconds = { (d: Duration) in Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        print("nodes \(nodes), loads \(loads), decisions \(report.decisions)")
        print("scheduling overhead: \(String(format: "%.2f", seconds(elapsed) * 1e6 / Double(max(report.decisions, 1)))) µs per decision")
        print("makespan \(seconds(report.makespan)) s; ideal (all capacity) \(seconds(report.idealMakespan)) s -> \(String(format: "%.3f", seconds(report.makespan) / seconds(report.idealMakespan)))x")
        print("ideal (capacity the load affinity admits) \(seconds(idealAdmitted)) s -> \(String(format: "%.3f", seconds(report.makespan) / seconds(idealAdmitted)))x")
        print("max preparing \(report.maxPreparing) (limit \(resolved.prepareQueueLength)); affinity violations \(report.affinityViolations); loads completed once: \(report.completions.values.filter { $0 == 1 }.count)/\(loads)")
    }
}
