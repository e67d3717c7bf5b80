import Kubernetes
import NodeAgent
import Testing

/// The scheduling simulation at small size (the benchmark runs it at 50 nodes / 2,000 loads).
struct LoadSimulationTests {
    static func nodes(_ count: Int) -> [ClusterFacts.Node] {
        (0..<count).map { i in
            var labels = ["kubernetes.io/hostname": "node-\(i)", "zone": i % 3 == 0 ? "a" : "b"]
            if i % 2 == 0 { labels["node-type"] = "backup" }
            if i % 4 == 0 { labels["size"] = "large" }
            return .init(name: "node-\(i)", labels: labels)
        }
    }

    static let config = #"""
        {"loadConcurrency":{"globalConfig":2,"prepareQueueLength":5,"perNodeConfig":[
            {"nodeSelector":{"matchLabels":{"size":"large"}},"number":4},
            {"nodeSelector":{"matchLabels":{"zone":"a"}},"number":3}]},
         "loadAffinity":[{"nodeSelector":{"matchLabels":{"node-type":"backup"}}}]}
        """#

    @Test func neverExceedsLimitsAndCompletesEveryLoadOnce() throws {
        let nodes = Self.nodes(12)
        let resolved = try NodeAgentConfig.load(json: Self.config, source: "sim").config.resolve(
            in: ClusterFacts(nodes: nodes)
        )
        let loads = (0..<120).map {
            LoadSimulation.Load(name: "du-\($0)", storageClass: "fast", duration: .seconds(60 + $0 % 7 * 10))
        }
        let report = LoadSimulation(nodes: nodes, config: resolved, loads: loads).run()

        for node in nodes {
            let limit = resolved.concurrency(forNodeLabels: node.labels).number
            #expect((report.maxRunning[node.name] ?? 0) <= limit, "\(node.name)")
        }
        // Overlapping rules: node-0 is large (4) and in zone a (3): the smallest wins.
        #expect(resolved.concurrency(forNodeLabels: nodes[0].labels).number == 3)
        // Only backup nodes run loads.
        #expect(
            report.maxRunning.keys.allSatisfy { name in nodes.first { $0.name == name }?.labels["node-type"] == "backup"
            }
        )
        #expect(report.maxPreparing <= 5)
        #expect(report.maxPreparing > 0)
        #expect(report.affinityViolations == 0)
        #expect(report.completions.count == 120)
        #expect(report.completions.values.allSatisfy { $0 == 1 })
        #expect(report.makespan >= report.idealMakespan)
    }
}
