import Foundation
import Kubernetes

/// Process memory from /proc/self, shared by the benchmarks.
enum ProcessMemory {
    /// Resets VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs).
    static func resetPeak() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }

    /// VmHWM and VmRSS in KiB from /proc/<process>/status (this process's by default).
    static func current(process: String = "self") -> (hwm: Int, rss: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8) else { return (0, 0) }
        func value(_ key: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return (value("VmHWM:"), value("VmRSS:"))
    }
}

/// The issues' standard object mix — ConfigMaps of ~1 KiB, Secrets, Deployments — spread over
/// `bench-<i>` namespaces and created concurrently through the client.
struct BenchWorkload: Sendable {
    static let deploymentsGVR = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")

    var configmaps: Int
    var secrets: Int
    var deployments: Int
    var namespaces: Int

    var total: Int { configmaps + secrets + deployments }

    /// Creates the namespaces (labelled `bench=<label>`) and then every object with `concurrency` workers.
    func populate(_ client: KubeClient, concurrency: Int, label: String) async throws {
        for index in 0..<namespaces {
            var namespace = KubeObject(apiVersion: "v1", kind: "Namespace", name: "bench-\(index)")
            namespace.labels = ["bench": label]
            _ = try await client.create(.namespaces, namespace)
        }
        let payload = String(repeating: "x", count: 1000)
        let secretValue = Data(String(repeating: "s", count: 256).utf8).base64EncodedString()
        let workload = self
        let workers = max(1, concurrency)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var index = worker
                    while index < workload.total {
                        let namespace = "bench-\(index % workload.namespaces)"
                        if index < workload.configmaps {
                            var object = KubeObject(
                                apiVersion: "v1",
                                kind: "ConfigMap",
                                namespace: namespace,
                                name: "cm-\(index)"
                            )
                            object["data"] = ["payload": .string(payload)]
                            _ = try await client.create(.configMaps, object)
                        } else if index < workload.configmaps + workload.secrets {
                            var object = KubeObject(
                                apiVersion: "v1",
                                kind: "Secret",
                                namespace: namespace,
                                name: "secret-\(index)"
                            )
                            object["type"] = "Opaque"
                            object["data"] = ["value": .string(secretValue)]
                            _ = try await client.create(.secrets, object)
                        } else {
                            _ = try await client.create(
                                Self.deploymentsGVR,
                                Self.deployment("deploy-\(index)", namespace: namespace)
                            )
                        }
                        index += workers
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func deployment(_ name: String, namespace: String) -> KubeObject {
        var object = KubeObject(apiVersion: "apps/v1", kind: "Deployment", namespace: namespace, name: name)
        object.labels = ["app": name]
        object["spec"] = [
            "replicas": 2,
            "selector": ["matchLabels": ["app": .string(name)]],
            "template": [
                "metadata": ["labels": ["app": .string(name)]],
                "spec": [
                    "containers": [
                        [
                            "name": "main", "image": "registry.example.com/app:1.0",
                            "ports": [["containerPort": 8080]],
                            "env": [["name": "MODE", "value": "production"]],
                        ]
                    ]
                ],
            ],
        ]
        return object
    }
}

extension Duration {
    /// The duration in seconds, as benchmarks print it.
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Table cells as the benchmarks print them.
enum BenchTable {
    /// `text` right-aligned in `width` columns (as it is when longer).
    static func column(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
