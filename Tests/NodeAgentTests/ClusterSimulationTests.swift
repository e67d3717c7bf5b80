import Foundation
import KubeSandbox
import KubeSandboxTesting
import Kubernetes
import NodeAgent
import Testing

/// Several node agents (one controller set per node, in-process) against one sandbox, checked from a watch
/// on the cluster: per-node concurrency, the prepare queue, load affinity, exactly-once completion.
@Suite(.serialized)
struct ClusterSimulationTests {
    /// 8 nodes: zones a/b, every other one a "backup" node, two "large" ones, one "slow" one.
    static func nodes() -> [ClusterFacts.Node] {
        (1...8).map { i in
            var labels = ["zone": i % 2 == 0 ? "a" : "b"]
            if i % 2 == 1 { labels["node-type"] = "backup" }
            if i == 1 || i == 4 { labels["size"] = "large" }
            if i == 4 { labels["disk"] = "slow" }
            return ClusterFacts.Node(name: "sandbox-node-\(i)", labels: labels)
        }
    }

    /// Global 2; large → 3, zone a → 4 (large nodes in zone a get 3: smallest wins), slow disk → 1 (node 4
    /// matches all three rules and gets 1); queue 10; "fast" volumes only on backup nodes.
    static let config = #"""
        {"loadConcurrency":{"globalConfig":2,"prepareQueueLength":10,"perNodeConfig":[
            {"nodeSelector":{"matchLabels":{"size":"large"}},"number":3},
            {"nodeSelector":{"matchLabels":{"zone":"a"}},"number":4},
            {"nodeSelector":{"matchExpressions":[{"key":"disk","operator":"In","values":["slow"]}]},"number":1}]},
         "loadAffinity":[{"nodeSelector":{"matchLabels":{"node-type":"backup"}},"storageClass":"fast"}]}
        """#

    /// Velero's placement (the scheduler alone) and capacity-aware placement keep the same invariants.
    @Test(arguments: [false, true])
    func nodeAgentsKeepEveryLimitAndCompleteEachLoadOnce(capacityAware: Bool) async throws {
        try await withSandbox(
            SandboxConfiguration(
                port: 0,
                nodes: 8,
                customResources: .velero,
                imageCommands: SandboxConfiguration.testImageCommands
            )
        ) { sandbox in
            let loads = (0..<60).map { i in
                ClusterLoadSimulation.Load(
                    name: "du-\(i)",
                    storageClass: i % 4 == 0 ? "fast" : "standard",
                    duration: .milliseconds(1_500 + Int64(i % 5) * 250)
                )
            }
            let simulation = ClusterLoadSimulation(
                kubeConfig: try KubeConfig.parse(yaml: sandbox.kubeconfigYAML),
                nodes: Self.nodes(),
                configJSON: Self.config,
                storageClasses: ["fast", "standard"],
                loads: loads,
                controllerConfiguration: .init(
                    nodeName: "",
                    requeueDelay: .milliseconds(250),
                    workers: 2,
                    capacityAwarePlacement: capacityAware
                ),
                timeout: .seconds(180),
                logger: .quiet
            )
            let report = try await simulation.run()

            // The concurrency each node got (smallest matching rule wins).
            #expect(report.capacity["sandbox-node-1"] == 3)  // large
            #expect(report.capacity["sandbox-node-2"] == 4)  // zone a
            #expect(report.capacity["sandbox-node-3"] == 2)  // global
            #expect(report.capacity["sandbox-node-4"] == 1)  // large, zone a, slow disk
            #expect(report.violations == [])
            #expect(report.observation.completions.count == loads.count)
            #expect(report.observation.maxPreparing <= 10)
            #expect(report.observation.maxPreparing > 0)
            // Load affinity: "fast" volumes only on backup (odd) nodes.
            for load in loads where load.storageClass == "fast" {
                let node = try #require(report.observation.podNodes[load.name])
                #expect(Int(node.split(separator: "-").last ?? "").map { $0 % 2 == 1 } == true)
            }
            // Every load went New → Accepted → Prepared → InProgress → Completed.
            for load in loads {
                #expect(
                    report.observation.history[load.name]?.filter { $0 != .new } == [
                        .accepted, .prepared, .inProgress, .completed,
                    ]
                )
            }
            #expect(report.statistics.accepted == loads.count)
            if capacityAware {
                // Each node agent accepts only for a slot of its own, and pins the pod to its node.
                for load in loads {
                    let acceptedBy = report.observation.acceptedBy[load.name] ?? []
                    #expect(
                        acceptedBy.count == 1 && acceptedBy.first == report.observation.podNodes[load.name],
                        "\(load.name)"
                    )
                }
                #expect(report.statistics.nodeFull == 0)
            }
            // The limits were exercised: some node ran several loads at once (data paths of 1.5 s and more overlap
            // even when the rest of the test suite slows preparation down).
            #expect(report.observation.maxRunning.values.contains { $0 >= 2 }, "\(report.observation.maxRunning)")
        }
    }
}
